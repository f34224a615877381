//! Agents that read a `.env` file: which variables it sets (names only, never values).
//!
//! `.env` is never deployed, since it usually holds secrets, so an agent that calls
//! `load_dotenv()` starts in AgentCore without those variables. The user is told their names
//! and how to pass them to the runtime.

use std::path::{Path, PathBuf};

use crate::agent::python_modules::PythonModule;
use crate::agent::source_tree::SourceTree;

/// An agent that loads a `.env`, and what that file sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DotenvUse {
    /// The first module calling `load_dotenv()`.
    pub caller: String,
    pub file: PathBuf,
    /// Variable names, in file order, without values.
    pub names: Vec<String>,
}

impl DotenvUse {
    pub fn warning(&self) -> String {
        let listed: Vec<String> = self.names.iter().map(|name| format!("`{name}`")).collect();
        let flags: Vec<String> = self
            .names
            .iter()
            .take(3)
            .map(|name| format!("--env {name}=..."))
            .collect();
        format!(
            "`{}` calls `load_dotenv()`, but `{}` is not deployed (it may hold secrets), so \
             {} will be unset in AgentCore Runtime; pass them with `agentprep deploy {}{}`",
            self.caller,
            self.file.display(),
            listed.join(", "),
            flags.join(" "),
            if self.names.len() > 3 { " ..." } else { "" }
        )
    }
}

/// The `.env` an agent loads: in the source, or in a folder above it up to the repository's
/// root (where `python-dotenv` finds it too).
pub fn find(tree: &SourceTree, modules: &[PythonModule]) -> Option<DotenvUse> {
    let caller = modules.iter().find(|module| {
        !module.is_support() && module.syntax.called_names.contains("load_dotenv")
    })?;
    let repository = tree.root.ancestors().find(|dir| dir.join(".git").exists());
    let file = tree
        .root
        .ancestors()
        .take_while(|dir| repository.is_none_or(|repo| dir.starts_with(repo)))
        .take(4)
        .map(|dir| dir.join(".env"))
        .find(|file| file.is_file())?;
    let names = variable_names(&file);
    (!names.is_empty()).then(|| DotenvUse {
        caller: caller.file.clone(),
        file,
        names,
    })
}

/// `KEY=value` and `export KEY=value` lines; comments and blank lines skipped.
fn variable_names(file: &Path) -> Vec<String> {
    let Ok(text) = crate::local_files::bounded_read::read_text(file, 1024 * 1024) else {
        return Vec::new();
    };
    let mut names = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        if line.starts_with('#') {
            continue;
        }
        let Some((name, _value)) = line.split_once('=') else {
            continue;
        };
        let name = name.trim();
        let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if valid && !names.iter().any(|known| known == name) {
            names.push(name.to_string());
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::source_tree;

    #[test]
    fn the_names_are_told_and_never_the_values() {
        let dir = tempfile::tempdir().unwrap();
        let agent = dir.path().join("agent");
        std::fs::create_dir(&agent).unwrap();
        std::fs::write(
            agent.join("agent.py"),
            "from dotenv import load_dotenv\nload_dotenv()\n",
        )
        .unwrap();
        std::fs::write(
            agent.join(".env"),
            "# keys\nOPENAI_API_KEY=sk-secret-value\nexport MODEL_ID = 'claude'\nnot a line\nOPENAI_API_KEY=again\n",
        )
        .unwrap();
        let tree = source_tree::scan(
            &agent,
            &[],
            &crate::agent::include_patterns::IncludePatterns::none(),
        )
        .unwrap();
        let modules = crate::agent::python_modules::parse_all(&tree).unwrap();
        let found = find(&tree, &modules).unwrap();
        assert_eq!(found.names, ["OPENAI_API_KEY", "MODEL_ID"]);
        let warning = found.warning();
        assert!(
            warning.contains("--env OPENAI_API_KEY=... --env MODEL_ID=..."),
            "{warning}"
        );
        assert!(!warning.contains("sk-secret"), "{warning}");
    }
}
