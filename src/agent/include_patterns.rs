//! `prepare --include PATTERN`: the files the user ships on purpose although the secret-file
//! policy or an ignore file leaves them out.
//!
//! Patterns are `.gitignore` globs relative to the source (`.npmrc`, `config/*.pem`, `.aws`
//! for the whole folder), matched with the same engine as the source's own `.gitignore`. The
//! manifest records them, so `serve --watch` prepares again the same way and `deploy` accepts
//! the files they forced in.

use std::collections::BTreeSet;
use std::path::Path;

use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::error::UserError;

/// The `--include` patterns, compiled.
#[derive(Debug, Clone)]
pub struct IncludePatterns {
    patterns: Vec<String>,
    matcher: Gitignore,
}

impl IncludePatterns {
    /// Compile `patterns`; one that is not a glob is an error naming it.
    pub fn new(patterns: &[String]) -> anyhow::Result<IncludePatterns> {
        let mut builder = GitignoreBuilder::new("");
        for pattern in patterns {
            let trimmed = pattern.trim();
            let invalid = |why: String| {
                UserError::usage(format!("`--include {pattern}` is not a usable pattern: {why}"))
                    .with_hint("pass a `.gitignore`-style glob relative to the source, such as `--include .npmrc` or `--include 'config/*.pem'`")
            };
            if trimmed.is_empty() || trimmed.starts_with('!') || trimmed.starts_with('#') {
                return Err(invalid("it names no file".into()).into());
            }
            builder
                .add_line(None, trimmed)
                .map_err(|error| invalid(error.to_string()))?;
        }
        let matcher = builder
            .build()
            .map_err(|error| UserError::usage(format!("`--include`: {error}")))?;
        Ok(IncludePatterns {
            patterns: patterns.to_vec(),
            matcher,
        })
    }

    /// No `--include` at all.
    pub fn none() -> IncludePatterns {
        IncludePatterns {
            patterns: Vec::new(),
            matcher: Gitignore::empty(),
        }
    }

    /// The pattern that forces `relative` (a path below the source) in, itself or through a
    /// folder above it.
    pub fn forcing(&self, relative: &Path, is_dir: bool) -> Option<String> {
        if self.patterns.is_empty() || relative.has_root() {
            return None;
        }
        let matched = self.matcher.matched_path_or_any_parents(relative, is_dir);
        if !matched.is_ignore() {
            return None;
        }
        matched.inner().map(|glob| glob.original().to_string())
    }

    /// The patterns of `self` that none of `used` is.
    pub fn unused<'a>(&'a self, used: &BTreeSet<String>) -> impl Iterator<Item = &'a String> {
        self.patterns
            .iter()
            .filter(move |pattern| !used.contains(pattern.trim()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patterns(list: &[&str]) -> IncludePatterns {
        IncludePatterns::new(&list.iter().map(|p| p.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn a_pattern_forces_its_files_and_what_is_below_a_folder_it_names() {
        let include = patterns(&[".npmrc", "config/*.pem", ".aws"]);
        assert_eq!(
            include.forcing(Path::new(".npmrc"), false).as_deref(),
            Some(".npmrc")
        );
        assert_eq!(
            include.forcing(Path::new("sub/.npmrc"), false).as_deref(),
            Some(".npmrc")
        );
        assert!(
            include
                .forcing(Path::new("config/tls.pem"), false)
                .is_some()
        );
        assert!(include.forcing(Path::new("tls.pem"), false).is_none());
        assert!(
            include
                .forcing(Path::new(".aws/credentials"), false)
                .is_some()
        );
        assert!(include.forcing(Path::new(".env"), false).is_none());
        assert!(
            IncludePatterns::none()
                .forcing(Path::new(".npmrc"), false)
                .is_none()
        );
    }

    #[test]
    fn a_pattern_that_names_nothing_is_an_error_naming_it() {
        for bad in ["", "  ", "!.env", "# note"] {
            let error = IncludePatterns::new(&[bad.to_string()])
                .unwrap_err()
                .to_string();
            assert!(error.contains(&format!("`--include {bad}`")), "{error}");
        }
    }

    #[test]
    fn unused_patterns_are_told_apart() {
        let include = patterns(&[".npmrc", "*.pem"]);
        let used = BTreeSet::from([".npmrc".to_string()]);
        assert_eq!(include.unused(&used).collect::<Vec<_>>(), ["*.pem"]);
    }
}
