//! `bouncelab mx`: MX hosts of a domain and the MX rule that applies to each.

use anyhow::Result;

/// Arguments of `bouncelab mx`.
#[derive(clap::Args, Debug)]
pub struct MxArgs {
    /// Domain or recipient address.
    pub domain: String,
}

/// Runs `bouncelab mx`.
pub fn run(args: MxArgs) -> Result<i32> {
    anyhow::bail!("mx lookup of {} is not built yet", args.domain)
}
