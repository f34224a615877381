//! `agentprep prepare`, timed as a user sees it: whole runs of the optimised binary, wall clock.
//!
//! Run with `scripts/bench.sh` (it makes the Python environment that holds moto, then
//! `cargo bench --bench prepare`). Two figures, each the median of a fixed number of runs:
//!
//! - `prepare` of `examples/cost_estimator_agent` against a moto server on 127.0.0.1 (the role
//!   managed, so each rerun makes the STS and IAM read calls and writes the deployment), and the
//!   same with `--no-role` (nothing but local work). Target: under 100 ms.
//! - Copying a synthetic source of 5,000 files / 200 MB: `agentprep prepare --no-role` against
//!   `cp -r` of the same tree on the same disk, alternating the two. Target: within 1.5x of `cp`.
//! - The fixture corpus (`tests/fixtures/corpus/`, agents in the shapes of real public ones):
//!   `prepare --no-role` of each agent that prepares, the median per agent. Target: every
//!   agent under 20 ms.
//!
//! Targets are reported, never asserted: the process fails only when a run fails. Whole
//! processes are timed (not functions) because start-up, the SDK's configuration and the
//! atomic swap of the deployment are part of what a user waits for.

#[path = "../tests/integration/support.rs"]
mod support;

#[path = "support/outcome.rs"]
mod support_outcome;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use support::{Moto, agentprep, example};

/// Reruns of `prepare` with the role managed, and with `--no-role`.
const PREPARE_RUNS: usize = 30;
/// Timed copies per tool (after one warm-up each).
const COPY_RUNS: usize = 7;
/// Runs of `prepare --no-role` per corpus agent (after one warm-up).
const CORPUS_RUNS: usize = 15;

/// The corpus agents that prepare (those whose preparation is an error are not timed).
const CORPUS_AGENTS: &[&str] = &[
    "tutorial_repo/01_code_interpreter/cost_estimator_agent",
    "01-strands-echo-agent",
    "langgraph",
    "prebuilt_graph",
    "asgi_app",
    "unguarded_app",
    "callable_bot",
    "dashed_module",
    "agent-code",
    "my agent",
    "src",
    "tools_everywhere",
    "with_tests",
    "typed_helpers",
    "broken_script",
    "namespaces",
    "poetry_agent",
    "parent_imports/agent",
    "dotenv_agent",
    "object_and_function",
    "a2a_server",
    "ctor_args",
    "weather",
    "single_file/chatbot.py",
];

/// The synthetic source: file count, total size, and how it is laid out.
const TREE_FILES: usize = 5_000;
const TREE_BYTES: u64 = 200_000_000;
const TREE_PY_MODULES: usize = 200;
const TREE_DATA_FOLDERS: usize = 50;
const TREE_SEED: u64 = 0x5eed_a9e7_b3c4_0001;

fn main() -> ExitCode {
    support_outcome::exit_code(bench())
}

fn bench() -> Result<(), String> {
    let nproc = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let prepare = bench_prepare()?;
    // The corpus before the copy: the copy leaves hundreds of megabytes for the kernel to write
    // back, and runs of a few milliseconds timed during that write-back measure the disk.
    let corpus = bench_corpus()?;
    let copy = bench_copy()?;

    println!();
    println!("agentprep prepare benchmark (nproc = {nproc}; wall time of whole runs)");
    println!();
    println!("| Measure | Runs | Median | p90 | Min | Target |");
    println!("|---|---|---|---|---|---|");
    println!(
        "| example, moto, first run (creates the role) | 1 | {} | | | |",
        ms(prepare.first)
    );
    row(
        "example, moto, rerun (STS + IAM reads + write)",
        &prepare.reruns,
        "< 100 ms",
    );
    row(
        "example, `--no-role` (local only)",
        &prepare.local,
        "< 100 ms",
    );
    row("`cp -r` of 5,000 files / 200 MB", &copy.cp, "(reference)");
    row(
        "`prepare --no-role` of the same tree",
        &copy.agentprep,
        "<= 1.5x `cp -r`",
    );
    println!();
    let ratio = median(&copy.agentprep).as_secs_f64() / median(&copy.cp).as_secs_f64();
    println!(
        "copy ratio agentprep / cp -r (medians): {ratio:.2}x ({})",
        if ratio <= 1.5 {
            "within the 1.5x target"
        } else {
            "above the 1.5x target"
        }
    );
    println!();
    println!("| Corpus agent (`prepare --no-role`) | Runs | Median | p90 | Min |");
    println!("|---|---|---|---|---|");
    for (agent, times) in &corpus {
        let mut sorted = times.clone();
        sorted.sort();
        println!(
            "| `{agent}` | {} | {} | {} | {} |",
            sorted.len(),
            ms(median(&sorted)),
            ms(p90(&sorted)),
            ms(sorted[0])
        );
    }
    let medians: Vec<Duration> = corpus.iter().map(|(_, times)| median(times)).collect();
    let slowest = medians.iter().max().copied().unwrap_or_default();
    println!();
    println!(
        "corpus: {} agents, median of the medians {}, slowest median {} ({})",
        corpus.len(),
        ms(median(&medians)),
        ms(slowest),
        if slowest < Duration::from_millis(20) {
            "every agent under the 20 ms target"
        } else {
            "above the 20 ms target"
        }
    );
    let rerun = median(&prepare.reruns);
    println!(
        "prepare rerun against moto (median): {} ({})",
        ms(rerun),
        if rerun < Duration::from_millis(100) {
            "under the 100 ms target"
        } else {
            "above the 100 ms target"
        }
    );
    Ok(())
}

struct PrepareTimes {
    first: Duration,
    reruns: Vec<Duration>,
    local: Vec<Duration>,
}

fn bench_prepare() -> Result<PrepareTimes, String> {
    let moto = Moto::start();
    let work = tempfile::tempdir().map_err(|e| format!("creating a temporary directory: {e}"))?;
    let source = example("cost_estimator_agent");
    let managed = || {
        let mut command = agentprep(work.path());
        command
            .envs(moto.aws_env())
            .args(["prepare", "--source-dir"])
            .arg(&source);
        command
    };
    progress("prepare of the example against moto: first run");
    let first = timed(&mut managed())?;
    progress(&format!(
        "prepare of the example against moto: {PREPARE_RUNS} reruns"
    ));
    let reruns = (0..PREPARE_RUNS)
        .map(|_| timed(&mut managed()))
        .collect::<Result<Vec<_>, _>>()?;
    drop(moto);

    let local_work =
        tempfile::tempdir().map_err(|e| format!("creating a temporary directory: {e}"))?;
    progress(&format!(
        "prepare of the example with --no-role: {PREPARE_RUNS} runs"
    ));
    let local = (0..PREPARE_RUNS)
        .map(|_| {
            timed(
                agentprep(local_work.path())
                    .args(["prepare", "--no-role", "--source-dir"])
                    .arg(&source),
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(PrepareTimes {
        first,
        reruns,
        local,
    })
}

/// `prepare --no-role` of each corpus agent into its own output directory, reruns included
/// (each run replaces the previous deployment, as a user's rerun does).
fn bench_corpus() -> Result<Vec<(String, Vec<Duration>)>, String> {
    let work = tempfile::tempdir().map_err(|e| format!("creating a temporary directory: {e}"))?;
    let corpus = support::repo_root().join("tests/fixtures/corpus");
    progress(&format!(
        "corpus: {} agents, {CORPUS_RUNS} runs each after a warm-up",
        CORPUS_AGENTS.len()
    ));
    let mut results = Vec::new();
    for (index, agent) in CORPUS_AGENTS.iter().enumerate() {
        let output = work.path().join(format!("deployment-{index}"));
        let prepare = || {
            let mut command = agentprep(work.path());
            command
                .args(["prepare", "--no-role", "--source-dir"])
                .arg(corpus.join(agent))
                .arg("--output-dir")
                .arg(&output);
            command
        };
        timed(&mut prepare())?;
        let times = (0..CORPUS_RUNS)
            .map(|_| timed(&mut prepare()))
            .collect::<Result<Vec<_>, _>>()?;
        results.push((agent.to_string(), times));
    }
    Ok(results)
}

struct CopyTimes {
    cp: Vec<Duration>,
    agentprep: Vec<Duration>,
}

fn bench_copy() -> Result<CopyTimes, String> {
    let work = tempfile::tempdir().map_err(|e| format!("creating a temporary directory: {e}"))?;
    let source = work.path().join("synthetic_source");
    progress(&format!(
        "writing the synthetic source ({TREE_FILES} files, {} MB)",
        TREE_BYTES / 1_000_000
    ));
    let started = Instant::now();
    let bytes = write_synthetic_tree(&source).map_err(|e| {
        format!(
            "writing the synthetic source in `{}`: {e}",
            source.display()
        )
    })?;
    progress(&format!(
        "wrote {TREE_FILES} files, {bytes} bytes in {}",
        ms(started.elapsed())
    ));

    let cp_target = work.path().join("copy_by_cp");
    let agentprep_target = work.path().join("copy_by_agentprep");
    let cp = |target: &Path| {
        let mut command = Command::new("cp");
        command.arg("-r").arg(&source).arg(target);
        command
    };
    let prepare = |target: &Path| {
        let mut command = agentprep(work.path());
        command
            .args([
                "prepare",
                "--no-role",
                "--name",
                "synthetic_agent",
                "--source-dir",
            ])
            .arg(&source)
            .arg("--output-dir")
            .arg(target);
        command
    };

    let mut times = CopyTimes {
        cp: Vec::new(),
        agentprep: Vec::new(),
    };
    // One warm-up each (the source in the page cache, the binary loaded), then alternate so
    // that drift in the machine's state touches both tools alike.
    for round in 0..=COPY_RUNS {
        if round == 0 {
            progress("copy: one warm-up run of each tool");
        } else if round == 1 {
            progress(&format!(
                "copy: {COPY_RUNS} timed runs of each tool, alternating"
            ));
        }
        let cp_time = timed_into_fresh(&cp_target, &mut cp(&cp_target))?;
        let agentprep_time = timed_into_fresh(&agentprep_target, &mut prepare(&agentprep_target))?;
        if round == 0 {
            // A copy that left files out would make the comparison meaningless. The package
            // keeps the source folder's name, whatever the agent is called.
            for copied in [cp_target.clone(), agentprep_target.join("synthetic_source")] {
                let found = tree_size(&copied)
                    .map_err(|e| format!("reading `{}`: {e}", copied.display()))?;
                if found != (TREE_FILES, bytes) {
                    return Err(format!(
                        "`{}` holds {} files, {} bytes; the source has {TREE_FILES} files, {bytes} bytes",
                        copied.display(),
                        found.0,
                        found.1
                    ));
                }
            }
        } else {
            times.cp.push(cp_time);
            times.agentprep.push(agentprep_time);
        }
    }
    Ok(times)
}

/// Files and bytes below `dir`.
fn tree_size(dir: &Path) -> std::io::Result<(usize, u64)> {
    let (mut files, mut bytes) = (0, 0);
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            let (more_files, more_bytes) = tree_size(&entry.path())?;
            files += more_files;
            bytes += more_bytes;
        } else {
            files += 1;
            bytes += entry.metadata()?.len();
        }
    }
    Ok((files, bytes))
}

/// Remove `target`, flush the disk (so neither tool pays for the other's write-back), then time
/// the command.
fn timed_into_fresh(target: &Path, command: &mut Command) -> Result<Duration, String> {
    match fs::remove_dir_all(target) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(format!("removing `{}`: {error}", target.display())),
    }
    timed(&mut Command::new("sync"))?;
    timed(command)
}

/// Run to completion and return the wall time; a failed run is an error with its output.
fn timed(command: &mut Command) -> Result<Duration, String> {
    let started = Instant::now();
    let output = command.output().map_err(|e| {
        format!(
            "starting `{}`: {e}",
            command.get_program().to_string_lossy()
        )
    })?;
    let elapsed = started.elapsed();
    if !output.status.success() {
        let args: Vec<String> = command
            .get_args()
            .map(|arg| arg.to_string_lossy().into_owned())
            .collect();
        return Err(format!(
            "`{} {}` failed ({})\nstdout:\n{}\nstderr:\n{}",
            command.get_program().to_string_lossy(),
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(elapsed)
}

/// A deterministic source tree: one `agent.py` with the entry, `TREE_PY_MODULES` small modules
/// (the package's `__init__.py` among them) that take no prompt, so the entry stays unique, and data files of log-uniform sizes over
/// `TREE_DATA_FOLDERS` nested folders, scaled to `TREE_BYTES` in all. Returns the bytes written.
fn write_synthetic_tree(root: &Path) -> std::io::Result<u64> {
    let mut random = XorShift(TREE_SEED);
    let mut written = 0u64;

    fs::create_dir_all(root)?;
    let agent = "def invoke(prompt):\n    return prompt\n";
    fs::write(root.join("agent.py"), agent)?;
    written += agent.len() as u64;

    // The package's own `__init__.py` (without one, agentprep adds it and the copies differ).
    let init = "\"\"\"A synthetic agent package for the copy benchmark.\"\"\"\n";
    fs::write(root.join("__init__.py"), init)?;
    written += init.len() as u64;

    for index in 1..TREE_PY_MODULES {
        let folder = root.join(format!("lib/part_{}", index % 10));
        fs::create_dir_all(&folder)?;
        let text = format!(
            "\"\"\"Synthetic module {index}.\"\"\"\n\nimport json\n\nLIMIT_{index} = {}\n\n\n\
             def combine_{index}(left, right):\n    return json.dumps([left, right, LIMIT_{index}])\n",
            random.next() % 1000
        );
        fs::write(folder.join(format!("module_{index}.py")), &text)?;
        written += text.len() as u64;
    }

    let folders: Vec<PathBuf> = (0..TREE_DATA_FOLDERS)
        .map(|index| {
            root.join(format!(
                "assets/group_{}/set_{}/level_{}",
                index / 10,
                index % 10,
                index % 3
            ))
        })
        .collect();
    for folder in &folders {
        fs::create_dir_all(folder)?;
    }
    // Sizes: log-uniform weights over 1..4096, scaled so the whole tree is `TREE_BYTES`.
    let data_files = TREE_FILES - TREE_PY_MODULES - 1;
    let weights: Vec<f64> = (0..data_files)
        .map(|_| 2f64.powf(random.unit() * 12.0))
        .collect();
    let budget = (TREE_BYTES - written) as f64;
    let scale = budget / weights.iter().sum::<f64>();
    let mut sizes: Vec<u64> = weights.iter().map(|w| (w * scale) as u64).collect();
    // The rounding remainder goes to the last file, so the total is exact.
    let assigned: u64 = sizes.iter().sum();
    if let Some(last) = sizes.last_mut() {
        *last += TREE_BYTES - written - assigned;
    }
    let extensions = ["json", "csv", "bin", "txt", "parquet", "png"];
    let mut buffer = Vec::new();
    for (index, size) in sizes.into_iter().enumerate() {
        let folder = &folders[(random.next() % folders.len() as u64) as usize];
        let extension = extensions[index % extensions.len()];
        buffer.clear();
        random.fill(&mut buffer, size as usize);
        let mut file = fs::File::create(folder.join(format!("data_{index:04}.{extension}")))?;
        file.write_all(&buffer)?;
        written += size;
    }
    Ok(written)
}

/// xorshift64*: small, fast, and the same bytes on every machine.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn fill(&mut self, buffer: &mut Vec<u8>, len: usize) {
        buffer.reserve(len);
        while buffer.len() + 8 <= len {
            buffer.extend_from_slice(&self.next().to_le_bytes());
        }
        let rest = len - buffer.len();
        buffer.extend_from_slice(&self.next().to_le_bytes()[..rest]);
    }
}

fn row(label: &str, times: &[Duration], target: &str) {
    let mut sorted = times.to_vec();
    sorted.sort();
    println!(
        "| {label} | {} | {} | {} | {} | {target} |",
        sorted.len(),
        ms(median(&sorted)),
        ms(p90(&sorted)),
        ms(sorted[0]),
    );
}

/// The median (the mean of the middle two for an even count).
fn median(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    let middle = sorted.len() / 2;
    if sorted.len().is_multiple_of(2) {
        (sorted[middle - 1] + sorted[middle]) / 2
    } else {
        sorted[middle]
    }
}

/// The 90th percentile, nearest rank.
fn p90(sorted: &[Duration]) -> Duration {
    let rank = (sorted.len() * 9).div_ceil(10).max(1);
    sorted[rank - 1]
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

fn progress(message: &str) {
    eprintln!("bench: {message}");
}
