//! The agent's source as agentprep understands it: its name, its files, its parsed modules,
//! its entry, its dependencies and the AWS services it uses.

pub mod capabilities;
pub mod entrypoint;
pub mod name;
pub mod python_modules;
pub mod requirements;
pub mod source_tree;
