//! The Python wheel that carries the binary (built by `scripts/test.sh` with maturin, from
//! `pyproject.toml`): installed into a fresh virtual environment with pip, and as a tool with
//! `uv tool install` and with pipx, it puts a working `agentprep` on that environment's PATH.

use std::path::PathBuf;
use std::process::Command;

use crate::support::*;

/// The wheel `scripts/test.sh` built.
fn built_wheel() -> PathBuf {
    let dir = std::env::var_os("AGENTPREP_TEST_WHEEL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            panic!(
                "no wheel to install: run the suite with `scripts/test.sh`, which builds it with \
             maturin (or build one with `maturin build --profile dev --out DIR` and set \
             AGENTPREP_TEST_WHEEL_DIR=DIR)"
            )
        });
    let wheels: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("`{}`: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "whl"))
        .collect();
    match wheels.as_slice() {
        [one] => one.clone(),
        other => panic!("expected one wheel in `{}`, found {other:?}", dir.display()),
    }
}

#[test]
fn the_wheel_puts_a_working_agentprep_on_the_path_of_a_fresh_environment() {
    let wheel = built_wheel();
    let name = wheel.file_name().unwrap().to_string_lossy().into_owned();
    let prefix = format!("agentprep-{}-py3-none-", env!("CARGO_PKG_VERSION"));
    assert!(
        name.starts_with(&prefix) && name.contains("linux") && name.ends_with(".whl"),
        "wheel tags: {name}"
    );
    let work = tempfile::tempdir().unwrap();

    // pip, into a fresh virtual environment; the wheel needs nothing from an index.
    let fresh = work.path().join("venv");
    run(Command::new(venv_python()).args(["-m", "venv"]).arg(&fresh)).success();
    run(Command::new(fresh.join("bin/python"))
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-index",
            "--disable-pip-version-check",
        ])
        .arg(&wheel))
    .success();
    let version = run(Command::new(fresh.join("bin/agentprep")).arg("--version"))
        .success()
        .stdout
        .clone();
    assert!(
        version.starts_with(&format!("agentprep {}", env!("CARGO_PKG_VERSION"))),
        "{version}"
    );
    let help = run(Command::new(fresh.join("bin/agentprep")).args(["demo", "--help"]))
        .success()
        .stdout
        .clone();
    assert!(help.contains("Usage: agentprep demo"), "{help}");

    // uv's tool install, into a tool directory and a bin directory of the test's own.
    let tools = work.path().join("tools");
    let bin = work.path().join("bin");
    run(Command::new(venv().join("bin/uv"))
        .args(["tool", "install", "--offline", "--quiet"])
        .arg(&wheel)
        .env("UV_TOOL_DIR", &tools)
        .env("UV_TOOL_BIN_DIR", &bin)
        .env("UV_PYTHON", venv_python()))
    .success();
    let version = run(Command::new(bin.join("agentprep")).arg("--version"))
        .success()
        .stdout
        .clone();
    assert!(version.starts_with("agentprep "), "{version}");

    // pipx, with a home and a bin directory of the test's own (it refreshes its own pip from
    // the package index; the wheel needs nothing from it).
    let pipx = venv_tool("AGENTPREP_WHEEL_VENV", "tests/python/wheel.lock", "pipx");
    let pipx_bin = work.path().join("pipx-bin");
    run(Command::new(pipx)
        .arg("install")
        .arg(&wheel)
        .env("PIPX_HOME", work.path().join("pipx-home"))
        .env("PIPX_BIN_DIR", &pipx_bin)
        .env("PIPX_DEFAULT_PYTHON", venv_python()))
    .success();
    let version = run(Command::new(pipx_bin.join("agentprep")).arg("--version"))
        .success()
        .stdout
        .clone();
    assert!(version.starts_with("agentprep "), "{version}");
}
