//! Benchmarks of `deploy`'s packaging, run with `scripts/bench.sh` (or `cargo bench --bench deploy`
//! with `AGENTPREP_TEST_VENV` set by `source scripts/python-env.sh`).
//!
//! 1. Zipping a realistic dependency tree (`strands-agents` and `boto3` installed for linux/arm64
//!    by uv, kept in a cache): `agentprep archive` (the zip writer `deploy` uses) against
//!    `zip -qr` of the same tree, medians of repeated runs, and whether two agentprep archives
//!    are byte-identical.
//! 2. Redeploying the example against a moto server on 127.0.0.1 with the dependencies cached:
//!    `deploy --dry-run` runs everything up to the point where the runtime update would be sent
//!    (the package built and checked against S3, the runtime looked up), with the source
//!    unchanged (upload skipped) and after editing one source file.
//! 3. Redeploying a container deploy against moto with the source unchanged: the whole
//!    `deploy` (build context zipped, the image found by its tag, no upload, no build, the
//!    runtime left unchanged). The first deploy's build push is played as the tests play it.
//!
//! Targets are reported, never asserted; the process fails only when something fails to run.

#[path = "../tests/integration/support.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use support::*;

const RUNS: usize = 5;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn seconds(duration: Duration) -> String {
    format!("{:.3} s", duration.as_secs_f64())
}

fn must(command: &mut Command, what: &str) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    assert!(
        output.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn timed(command: &mut Command, what: &str) -> Duration {
    let started = Instant::now();
    must(command, what);
    started.elapsed()
}

fn bench_cache() -> PathBuf {
    venv().parent().unwrap().join("agentprep-bench-cache")
}

fn path_with_uv() -> String {
    format!(
        "{}:{}",
        venv().join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// `strands-agents` and `boto3` for linux/arm64, installed once.
fn dependency_tree() -> PathBuf {
    let tree = bench_cache().join("strands-boto3-arm64");
    let marker = tree.join(".complete");
    if !marker.exists() {
        let _ = std::fs::remove_dir_all(&tree);
        eprintln!("installing strands-agents and boto3 for linux/arm64 (once)...");
        must(
            Command::new(venv().join("bin/uv"))
                .args(["pip", "install", "--quiet", "--target"])
                .arg(&tree)
                .args([
                    "--python-version",
                    "3.12",
                    "--python-platform",
                    "aarch64-manylinux2014",
                    "--only-binary",
                    ":all:",
                ])
                .args(["strands-agents", "boto3"])
                .env("UV_PYTHON_DOWNLOADS", "never"),
            "uv pip install",
        );
        std::fs::write(&marker, "").unwrap();
    }
    tree
}

fn tree_size(dir: &Path) -> (usize, u64) {
    let mut files = 0;
    let mut bytes = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                files += 1;
                bytes += meta.len();
            }
        }
    }
    (files, bytes)
}

fn packaging() {
    if Command::new("zip").arg("-v").output().is_err() {
        panic!("the packaging benchmark compares with `zip`: install it (`apt-get install zip`)");
    }
    let tree = dependency_tree();
    let (files, bytes) = tree_size(&tree);
    let work = tempfile::tempdir().unwrap();
    let ours = work.path().join("agentprep.zip");
    let theirs = work.path().join("zip.zip");
    // One warm-up of each, so both read from the page cache.
    must(
        Command::new(env!("CARGO_BIN_EXE_agentprep"))
            .arg("archive")
            .arg(&tree)
            .arg(&ours),
        "agentprep archive",
    );
    must(
        Command::new("zip")
            .arg("-qr")
            .arg(&theirs)
            .arg(".")
            .current_dir(&tree),
        "zip -qr",
    );
    let first = std::fs::read(&ours).unwrap();
    let (mut agentprep_runs, mut zip_runs) = (Vec::new(), Vec::new());
    let mut identical = true;
    for _ in 0..RUNS {
        let _ = std::fs::remove_file(&ours);
        agentprep_runs.push(timed(
            Command::new(env!("CARGO_BIN_EXE_agentprep"))
                .arg("archive")
                .arg(&tree)
                .arg(&ours),
            "agentprep archive",
        ));
        identical &= std::fs::read(&ours).unwrap() == first;
        let _ = std::fs::remove_file(&theirs);
        zip_runs.push(timed(
            Command::new("zip")
                .arg("-qr")
                .arg(&theirs)
                .arg(".")
                .current_dir(&tree),
            "zip -qr",
        ));
    }
    let (ours_median, theirs_median) = (median(agentprep_runs), median(zip_runs));
    println!(
        "\nPackaging strands-agents + boto3 for linux/arm64 ({files} files, {:.1} MB), medians of {RUNS} runs",
        bytes as f64 / 1e6
    );
    println!(
        "  agentprep archive   {}  ({:.1} MB)",
        seconds(ours_median),
        std::fs::metadata(&ours).unwrap().len() as f64 / 1e6
    );
    println!(
        "  zip -qr             {}  ({:.1} MB)",
        seconds(theirs_median),
        std::fs::metadata(&theirs).unwrap().len() as f64 / 1e6
    );
    println!(
        "  speed-up            {:.1}x (target: at least 3x)",
        theirs_median.as_secs_f64() / ours_median.as_secs_f64()
    );
    println!(
        "  byte-identical      {identical} across {} archives",
        RUNS + 1
    );
}

fn redeploy() {
    let moto = Moto::start();
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("cost_estimator_agent");
    copy_tree(&example("cost_estimator_agent"), &source);
    let command = |args: &[&str]| {
        let mut command = agentprep(work.path());
        command
            .envs(moto.aws_env())
            .env("PATH", path_with_uv())
            .env("AGENTPREP_CACHE_DIR", bench_cache().join("agentprep-cache"))
            .args(args);
        command
    };
    must(
        command(&["prepare", "--source-dir"]).arg(&source),
        "prepare",
    );
    must(
        &mut command(&["deploy", "--python", "3.12"]),
        "first deploy",
    );
    let mut unchanged = Vec::new();
    for _ in 0..RUNS {
        unchanged.push(timed(
            &mut command(&["deploy", "--dry-run"]),
            "deploy --dry-run",
        ));
    }
    let mut edited = Vec::new();
    for run in 0..RUNS {
        let file = source.join("config.py");
        let mut text = std::fs::read_to_string(&file).unwrap();
        text.push_str(&format!("\n# edit {run}\n"));
        std::fs::write(&file, text).unwrap();
        must(
            command(&["prepare", "--source-dir"]).arg(&source),
            "prepare",
        );
        edited.push(timed(
            &mut command(&["deploy", "--dry-run"]),
            "deploy --dry-run",
        ));
    }
    println!(
        "\nRedeploy against moto on 127.0.0.1, dependencies cached, up to the runtime update (medians of {RUNS})"
    );
    println!(
        "  unchanged source    {}  (upload skipped; target <= 1 s)",
        seconds(median(unchanged))
    );
    println!(
        "  one file edited     {}  (dependencies reused; target <= 2 s)",
        seconds(median(edited))
    );
}

fn container_redeploy() {
    let moto = Moto::start();
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("minimal_agent");
    copy_tree(&example("minimal_agent"), &source);
    let command = |args: &[&str]| {
        let mut command = agentprep(work.path());
        command.envs(moto.aws_env()).args(args);
        command
    };
    must(
        command(&["prepare", "--source-dir"]).arg(&source),
        "prepare",
    );
    let dry = command(CONTAINER_DRY_RUN).output().unwrap();
    let planned: serde_json::Value = serde_json::from_slice(&dry.stdout).unwrap();
    let tag = planned["container"]["tag"].as_str().unwrap().to_string();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let first = runtime.block_on(deploy_playing_the_push(
        &moto,
        command(&["deploy", "--container", "--python", "3.12"]),
        "bedrock-agentcore-minimal-agent",
        "agentprep-minimal_agent",
        &tag,
    ));
    first.success();
    let mut unchanged = Vec::new();
    for _ in 0..RUNS {
        unchanged.push(timed(
            &mut command(&["deploy"]),
            "deploy (container, unchanged)",
        ));
    }
    println!(
        "\nContainer redeploy against moto on 127.0.0.1, source unchanged: no upload, no build (median of {RUNS})"
    );
    println!(
        "  unchanged source    {}  (the image found by its tag; target <= 1 s)",
        seconds(median(unchanged))
    );
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not, and must not run this.
    if !std::env::args().any(|arg| arg == "--bench") {
        return;
    }
    println!(
        "agentprep deploy benchmarks on {} cores",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    // `cargo bench --bench deploy -- container` runs the container redeploy alone.
    if !std::env::args().any(|arg| arg == "container") {
        packaging();
        redeploy();
    }
    container_redeploy();
}
