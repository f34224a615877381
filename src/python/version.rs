//! A Python version as agentprep reasons about it: `3.X`, nothing finer.
//!
//! AgentCore Runtime runs a Python line (`PYTHON_3_12`), not a patch release, and an
//! interpreter is found by its line (`python3.12`), so the minor version is the whole decision.
//! It moves between three spellings (`3.12` on the command line and in files, `PYTHON_3_12` in
//! `.bedrock_agentcore.yaml` and the AWS API, `cp312` in wheel tags); they are converted here
//! and nowhere else. The versions AgentCore Runtime runs are the SDK's list, read here too, so
//! that `prepare`, `serve` and `deploy` accept the same set and a version AWS adds arrives with
//! the SDK instead of a hand-kept list.

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use aws_sdk_bedrockagentcorecontrol::types::AgentManagedRuntimeType;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A CPython 3.X line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PythonVersion {
    minor: u8,
}

impl PythonVersion {
    pub const fn new(minor: u8) -> PythonVersion {
        PythonVersion { minor }
    }

    pub fn minor(self) -> u8 {
        self.minor
    }

    /// `3.12` from `3.12`, `3.12.4`, `3.12-slim`, `python3.12`, `cpython-3.12.1`; `None` for
    /// anything that does not name a 3.X line (`3`, `pypy`, `2.7`).
    pub fn find_in(text: &str) -> Option<PythonVersion> {
        let bytes = text.as_bytes();
        let mut at = 0;
        while let Some(offset) = text[at..].find("3.") {
            let start = at + offset;
            let preceded_by_digit = start > 0 && bytes[start - 1].is_ascii_digit();
            let digits: String = text[start + 2..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if !preceded_by_digit && !digits.is_empty() && digits.len() <= 2 {
                return digits.parse().ok().map(PythonVersion::new);
            }
            at = start + 2;
        }
        None
    }

    /// The versions AgentCore Runtime runs for direct code deploy (`codeConfiguration.runtime`),
    /// oldest first: the `PYTHON_3_X` values of the SDK's `AgentManagedRuntimeType`.
    pub fn agentcore_versions() -> &'static [PythonVersion] {
        static VERSIONS: LazyLock<Vec<PythonVersion>> = LazyLock::new(|| {
            let mut versions: Vec<PythonVersion> = AgentManagedRuntimeType::values()
                .iter()
                .filter_map(|name| PythonVersion::from_runtime_name(name))
                .collect();
            versions.sort_unstable();
            versions
        });
        &VERSIONS
    }

    /// Whether AgentCore Runtime runs this version.
    pub fn runs_on_agentcore(self) -> bool {
        PythonVersion::agentcore_versions().contains(&self)
    }

    /// The SDK's runtime type (`AgentManagedRuntimeType::Python312`); `None` when AgentCore
    /// Runtime runs no such version.
    pub fn runtime_type(self) -> Option<AgentManagedRuntimeType> {
        self.runs_on_agentcore()
            .then(|| AgentManagedRuntimeType::from(self.runtime_name().as_str()))
    }

    /// The version of a runtime type; `None` for another language's (`NODE_22`).
    pub fn from_runtime_type(runtime: &AgentManagedRuntimeType) -> Option<PythonVersion> {
        PythonVersion::from_runtime_name(runtime.as_str())
    }

    /// The AWS API's spelling, which `.bedrock_agentcore.yaml` keeps too: `PYTHON_3_12`.
    pub fn runtime_name(self) -> String {
        format!("PYTHON_3_{}", self.minor)
    }

    /// From the AWS API's spelling (`PYTHON_3_12`); `None` for another runtime (`NODE_22`).
    pub fn from_runtime_name(name: &str) -> Option<PythonVersion> {
        let minor = name.strip_prefix("PYTHON_3_")?;
        minor.parse().ok().map(PythonVersion::new)
    }

    /// The interpreter's conventional name on PATH: `python3.12`.
    pub fn executable_name(self) -> String {
        format!("python3.{}", self.minor)
    }
}

impl fmt::Display for PythonVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "3.{}", self.minor)
    }
}

impl FromStr for PythonVersion {
    type Err = String;

    /// Exactly `3.X` or `3.X.Y`, or the interpreter's name `python3.X` (a command-line value
    /// is not searched for a version, as a file is by [`PythonVersion::find_in`]).
    fn from_str(text: &str) -> Result<PythonVersion, String> {
        let trimmed = text.trim();
        let number = trimmed.strip_prefix("python").unwrap_or(trimmed);
        let mut parts = number.split('.');
        let minor = match (parts.next(), parts.next()) {
            (Some("3"), Some(minor)) => minor.parse::<u8>().ok(),
            _ => None,
        };
        let patch_ok = parts
            .next()
            .is_none_or(|patch| !patch.is_empty() && patch.chars().all(|c| c.is_ascii_digit()));
        match minor {
            Some(minor) if patch_ok && parts.next().is_none() => Ok(PythonVersion::new(minor)),
            _ => Err(format!(
                "`{text}` is not a Python 3 version: write it as `3.12` (or `python3.12`)"
            )),
        }
    }
}

/// Written as `"3.12"` in the manifest and the JSON reports.
impl Serialize for PythonVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PythonVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<PythonVersion, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_found_in_the_spellings_files_use() {
        for (text, minor) in [
            ("3.12", 12),
            ("3.12.4", 12),
            ("python:3.13-slim", 13),
            ("python3.11", 11),
            ("cpython-3.10.14-linux", 10),
            ("ghcr.io/astral-sh/uv:python3.12-bookworm-slim", 12),
            ("python-3.12.1", 12),
        ] {
            assert_eq!(
                PythonVersion::find_in(text),
                Some(PythonVersion::new(minor)),
                "{text}"
            );
        }
        for text in ["3", "pypy", "2.7", "13.1", "python:latest", "3.x"] {
            assert_eq!(PythonVersion::find_in(text), None, "{text}");
        }
    }

    #[test]
    fn the_three_spellings_convert_into_each_other() {
        let version: PythonVersion = "3.12".parse().unwrap();
        assert_eq!(version.to_string(), "3.12");
        assert_eq!(version.runtime_name(), "PYTHON_3_12");
        assert_eq!(version.executable_name(), "python3.12");
        assert_eq!(
            PythonVersion::from_runtime_name("PYTHON_3_12"),
            Some(version)
        );
        assert_eq!(PythonVersion::from_runtime_name("NODE_22"), None);
        assert_eq!("3.13.1".parse(), Ok(PythonVersion::new(13)));
        for bad in ["3", "3.x", "2.7", "3.12.", "three", "3.12.1.1"] {
            assert!(bad.parse::<PythonVersion>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_interpreters_name_is_read_as_its_version() {
        assert_eq!("python3.12".parse(), Ok(PythonVersion::new(12)));
        assert_eq!(" python3.14.0 ".parse(), Ok(PythonVersion::new(14)));
        for bad in ["python", "python3", "python2.7", "pypy3.10", "PYTHON_3_12"] {
            assert!(bad.parse::<PythonVersion>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_value_that_is_no_version_is_named_with_how_to_write_one() {
        let error = "3.x".parse::<PythonVersion>().unwrap_err();
        assert_eq!(
            error,
            "`3.x` is not a Python 3 version: write it as `3.12` (or `python3.12`)"
        );
    }

    #[test]
    fn the_versions_agentcore_runs_are_the_sdks_and_include_3_14() {
        let versions: Vec<String> = PythonVersion::agentcore_versions()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(versions, ["3.10", "3.11", "3.12", "3.13", "3.14"]);
        assert_eq!(
            PythonVersion::new(14).runtime_type(),
            Some(AgentManagedRuntimeType::Python314)
        );
        assert_eq!(PythonVersion::new(9).runtime_type(), None);
        assert!(!PythonVersion::new(15).runs_on_agentcore());
    }

    #[test]
    fn the_sdks_runtime_type_converts_back() {
        for version in PythonVersion::agentcore_versions() {
            let runtime = version.runtime_type().unwrap();
            assert_eq!(PythonVersion::from_runtime_type(&runtime), Some(*version));
        }
        assert_eq!(
            PythonVersion::from_runtime_type(&AgentManagedRuntimeType::Node22),
            None
        );
    }
}
