//! The third-party modules the entry's loaded modules import, recorded in the deployment's
//! manifest.
//!
//! `prepare` knows what the agent imports; the environment `serve` builds from the
//! requirements may still lack some of it (a distribution no table knows, an extra the
//! requirements file forgot). Recording the modules lets `serve` check the environment with
//! its own metadata (`local_runtime::missing_imports`) and name what is missing, with the
//! importing file, before a worker dies of it. A module is recorded as deep as the check must
//! look: its top-level package, or the part of a namespace package the agent takes
//! (`google.adk`, not `google`), at most three parts.

use serde::{Deserialize, Serialize};

use crate::agent::python_modules::{self, PythonModule};
use crate::python::import_distributions::providers_of_import;
use crate::python::stdlib_modules::is_stdlib_module;

/// The deepest a recorded module goes: `opentelemetry.instrumentation.requests`.
const DEPTH: usize = 3;

/// One module the agent needs at run time, with the first file that imports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuntimeImport {
    /// Dotted (`strands.models`, `google.adk`).
    pub module: String,
    /// Relative to the source (`tools/pdf.py`).
    pub importer: String,
}

/// The modules `modules` (those the entry loads) import that are neither the standard
/// library nor the agent's own (a top-level name `is_own` takes), nor optional (`try/except
/// ImportError`), in the order first imported.
pub fn find(modules: &[PythonModule], is_own: impl Fn(&str) -> bool) -> Vec<RuntimeImport> {
    let mut found: Vec<RuntimeImport> = Vec::new();
    for (module, import) in python_modules::runtime_imports(modules) {
        let Some(top) = import.top_level() else {
            continue;
        };
        if is_stdlib_module(top) || is_own(top) {
            continue;
        }
        for (dotted, _) in providers_of_import(&import.module, &import.names) {
            let recorded = dotted.split('.').take(DEPTH).collect::<Vec<_>>().join(".");
            if !found.iter().any(|known| known.module == recorded) {
                found.push(RuntimeImport {
                    module: recorded,
                    importer: module.file.clone(),
                });
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(file: &str, source: &str) -> PythonModule {
        PythonModule::parsed(file, source)
    }

    #[test]
    fn third_party_imports_are_recorded_as_deep_as_a_namespace_needs() {
        let modules = [
            module(
                "agent.py",
                "import os\nimport json\nfrom strands import Agent, tool\nfrom google import genai\n\
                 from google.adk.agents import LlmAgent\nfrom .helpers import x\nimport helpers\n\
                 try:\n    import cv2\nexcept ImportError:\n    cv2 = None\n\
                 from opentelemetry.instrumentation.requests.package import _instruments\n",
            ),
            module(
                "tools/pdf.py",
                "import fitz\nfrom strands import tool\nimport mystery_lib\n",
            ),
        ];
        let found: Vec<(String, String)> = find(&modules, |top| top == "helpers")
            .into_iter()
            .map(|import| (import.module, import.importer))
            .collect();
        let expected = [
            ("strands", "agent.py"),
            ("google.genai", "agent.py"),
            ("google.adk.agents", "agent.py"),
            ("opentelemetry.instrumentation.requests", "agent.py"),
            ("fitz", "tools/pdf.py"),
            ("mystery_lib", "tools/pdf.py"),
        ];
        assert_eq!(
            found,
            expected.map(|(module, importer)| (module.to_string(), importer.to_string()))
        );
    }
}
