//! One file per subcommand. Each chains the pipeline and picks the sink.

pub mod apply;
pub mod check;
pub mod diff;
pub mod triggers;
