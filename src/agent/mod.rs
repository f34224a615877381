//! The agent's source as agentprep understands it: its name, its files, its parsed modules,
//! its entry, its dependencies and the AWS services it uses.

pub mod capabilities;
pub mod dockerfile;
pub mod dotenv_names;
pub mod entry;
pub mod import_graph;
pub mod include_patterns;
pub mod name;
pub mod outside_code;
pub mod outside_imports;
pub mod package_name;
pub mod project_files;
pub mod python_choice;
pub mod python_modules;
pub mod requirements;
pub mod runtime_imports;
pub mod secret_files;
pub mod source_facts;
pub mod source_tree;
