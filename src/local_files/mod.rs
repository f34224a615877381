//! Local files, one way each: writing a file atomically, reading one with a bound,
//! fingerprinting content, listing the files below a folder, removing folders a killed
//! process left, naming the files kept for a runtime session.

pub mod atomic_write;
pub mod bounded_read;
pub mod content_hash;
pub mod left_behind;
pub mod session_files;
pub mod tree_walk;
