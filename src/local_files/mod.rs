//! Local files, one way each: writing a file atomically, reading one with a bound,
//! fingerprinting content, listing the files below a folder, removing folders a killed
//! process left.

pub mod atomic_write;
pub mod bounded_read;
pub mod content_hash;
pub mod left_behind;
pub mod tree_walk;
