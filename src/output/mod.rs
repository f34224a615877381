//! How agentprep talks to people and scripts: results on stdout, progress on stderr, the
//! local runtime's events on stderr too.

pub mod browser;
pub mod event_log;
pub mod follow;
pub mod progress;
pub mod shell_words;
pub mod stderr;
pub mod stdout;
pub mod terminal_text;
