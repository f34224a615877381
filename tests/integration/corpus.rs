//! `prepare` on the fixture corpus (`tests/fixtures/corpus/`): agents written here in the
//! shapes and with the pitfalls of real public agents. Each case runs the real binary with no
//! flags but `--no-role` and asserts what a user sees: the exit code, the entry chosen, the
//! agent's name, its package, the requirements and the warnings; and that the generated
//! `invoke.py` compiles with the test environment's Python. The cases are
//! `tests/fixtures/corpus_cases.rs`, which the library's unit tests also run in-process.

use std::path::Path;

use crate::support::*;

fn check(case: &Case) {
    let work = tempfile::tempdir().unwrap();
    let ran = run(agentprep(work.path())
        .args(["prepare", "--no-role", "--output", "json", "--source-dir"])
        .arg(corpus(case.source))
        .args(case.args));
    if case.entry.is_empty() {
        ran.failure(case.code);
        for said in case.says {
            assert!(
                ran.stderr.contains(said),
                "`{said}` not in:\n{}",
                ran.stderr
            );
        }
        assert!(
            !work.path().join("deployment").exists(),
            "a failed prepare writes nothing"
        );
        return;
    }
    ran.success();
    let report = ran.json();
    assert_eq!(report["entrypoint_spec"], case.entry, "{}", ran.stderr);
    case.assert_report(&report);
    for said in case.says {
        assert!(
            ran.stderr.contains(said),
            "warnings are printed as they happen"
        );
    }
    let deployment = work.path().join("deployment");
    assert!(deployment.join(case.package).is_dir());
    compiles(&deployment.join("invoke.py"));
}

/// `python -m py_compile FILE` with the test environment's Python.
pub fn compiles(file: &Path) {
    let output = std::process::Command::new(venv_python())
        .args(["-m", "py_compile"])
        .arg(file)
        .output()
        .expect("the test Python runs");
    assert!(
        output.status.success(),
        "`{}` does not compile: {}",
        file.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

macro_rules! corpus_case {
    ($name:ident, $case:expr) => {
        #[test]
        fn $name() {
            check(&$case);
        }
    };
}

include!("../fixtures/corpus_cases.rs");

#[test]
fn the_manifest_records_the_modules_the_entry_imports_for_serve_to_check() {
    let work = tempfile::tempdir().unwrap();
    run(agentprep(work.path())
        .args(["prepare", "--no-role", "--source-dir"])
        .arg(corpus("renamed_imports")))
    .success();
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(work.path().join("deployment/.agentprep-manifest.json")).unwrap(),
    )
    .unwrap();
    let recorded: Vec<String> = manifest["runtime_imports"]
        .as_array()
        .expect("the manifest records the runtime imports")
        .iter()
        .map(|import| format!("{} {}", import["module"], import["importer"]))
        .collect();
    assert_eq!(
        recorded,
        [
            "\"cv2\" \"agent.py\"",
            "\"fitz\" \"agent.py\"",
            "\"vertexai\" \"agent.py\"",
            "\"bs4\" \"agent.py\"",
            "\"openinference.instrumentation.langchain\" \"agent.py\"",
            "\"opentelemetry.semconv.trace\" \"agent.py\"",
        ]
    );
}
