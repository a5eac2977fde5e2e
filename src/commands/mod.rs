//! One file per subcommand. Each chains the pipeline and picks the sink.

pub mod apply;
pub mod author;
pub mod check;
pub mod diff;
pub mod import;
pub mod set_image_lookup;
pub mod set_triggers;
pub mod tag;
pub mod triggers;
