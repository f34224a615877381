//! The deployment directory: what goes in it, the generated entrypoint, and writing it safely.

pub mod git_tracked;
pub mod invoke_py;
pub mod output_dir;
