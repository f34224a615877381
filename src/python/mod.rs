//! Reading Python: modules parsed with tree-sitter, and the data that tells the standard
//! library and PyPI distributions apart.

pub mod import_distributions;
pub mod interpreters;
pub mod lock_versions;
pub mod main_guard;
pub mod module_syntax;
pub mod newer_syntax;
pub mod path_inserts;
pub mod requirement_line;
pub mod sdk_generations;
pub mod stdlib_modules;
pub mod version;
