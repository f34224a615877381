//! How agentprep talks to people and scripts: results on stdout, progress on stderr.

pub mod progress;
pub mod shell_words;
pub mod stdout;
