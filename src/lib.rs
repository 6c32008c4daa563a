//! bouncelab: a workbench for email deliverability rules.
//!
//! [`engine`] knows nothing of the UI; [`cli`] and (with the `gui` feature)
//! `gui` are two faces of it.

pub mod cli;
pub mod engine;
#[cfg(feature = "gui")]
pub mod gui;
pub mod i18n;
