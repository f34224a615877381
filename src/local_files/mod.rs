//! Local files, one way each: writing a file atomically, fingerprinting content, listing the
//! files below a folder.

pub mod atomic_write;
pub mod content_hash;
pub mod tree_walk;
