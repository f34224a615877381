//! The fixture corpus run in-process: every case of `tests/fixtures/corpus_cases.rs` parsed as
//! the command line would be, turned into options by `prepare`'s command, planned by [`plan`]
//! with `--no-role`, and its decisions checked (the entry and its kind, the agent's name, its
//! package, the requirements, the warnings, or the error and its exit code). No binary, no Python, no AWS: a plain `cargo test` runs it.
//! The integration tests run the same table through the real binary.

use std::path::PathBuf;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::output::progress::Progress;
use crate::prepare::plan::plan;
use crate::prepare::{PrepareReport, RoleReport};

async fn check(case: &Case) {
    let work = tempfile::tempdir().unwrap();
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/corpus")
        .join(case.source);
    let mut argv = vec!["agentprep".into(), "prepare".into(), "--no-role".into()];
    argv.extend(["--source-dir".into(), source.into_os_string()]);
    argv.extend(["--output-dir".into(), work.path().join("deployment").into()]);
    argv.extend(case.args.iter().map(Into::into));
    let Command::Prepare(args) = Cli::try_parse_from(argv).unwrap().command else {
        unreachable!("the command line names `prepare`")
    };
    let options = super::prepare::options(args);
    let planned = plan(&options, &Progress::warnings_only()).await;

    if case.entry.is_empty() {
        let error = match planned {
            Ok(_) => panic!("`{}` was planned, but must fail", case.source),
            Err(error) => error,
        };
        assert_eq!(crate::error::exit_code(&error), case.code, "{error:#}");
        let said = crate::error::render(&error);
        for expected in case.says {
            assert!(said.contains(expected), "`{expected}` not in:\n{said}");
        }
        return;
    }
    let planned = planned.unwrap_or_else(|error| panic!("`{}`: {error:#}", case.source));
    let role = RoleReport::of_plan(&planned);
    let report = serde_json::to_value(PrepareReport::of(planned, role)).unwrap();
    case.assert_report(&report);
}

macro_rules! corpus_case {
    ($name:ident, $case:expr) => {
        #[tokio::test]
        async fn $name() {
            check(&$case).await;
        }
    };
}

include!("../../tests/fixtures/corpus_cases.rs");
