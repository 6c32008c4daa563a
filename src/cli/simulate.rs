//! `bouncelab simulate`: ramp-up simulation per throughput level.

use anyhow::Result;

/// Arguments of `bouncelab simulate`.
#[derive(clap::Args, Debug)]
pub struct SimulateArgs {}

/// Runs `bouncelab simulate`.
pub fn run(_args: SimulateArgs) -> Result<i32> {
    anyhow::bail!("simulate is not built yet")
}
