//! `agentprep traces`: the OpenTelemetry spans the local runtime's agents exported, kept per
//! runtime session by `serve`; as a tree per trace for people, as span records with
//! `--output json`; `--follow` prints spans as they arrive until Ctrl-C.
//!
//! It reads the files `serve` writes, not `serve` itself: it works while `serve` runs (its log
//! directory is in `.agentprep/serve.json`) and after it stopped (`--log-dir`, by default
//! `.agentprep/logs`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cli::{OutputFormat, TracesArgs};
use crate::error::UserError;
use crate::local_runtime::serve_state;
use crate::output::stdout;
use crate::telemetry::records::SpanRecord;
use crate::telemetry::session_otel_logs;
use crate::telemetry::store::{self, read_records};
use crate::telemetry::trace_tree;

/// The log directory `serve` uses when not told otherwise.
const DEFAULT_LOG_DIR: &str = ".agentprep/logs";

/// Polling while following: from the first interval, doubled while nothing comes, up to the
/// last.
const FOLLOW_FIRST: Duration = Duration::from_millis(250);
const FOLLOW_MOST: Duration = Duration::from_secs(2);

/// Session ids named in a message, at most.
const NAMED_SESSIONS: usize = 20;

pub async fn run(args: TracesArgs) -> anyhow::Result<()> {
    let log_dir = log_dir(&args)?;
    let agents = match &args.agent {
        Some(agent) => {
            if !log_dir.join(agent).is_dir() && !args.follow {
                let known = store::agents_in(&log_dir);
                return Err(UserError::failed(format!(
                    "no spans of `{agent}` in `{}`",
                    log_dir.display()
                ))
                .with_hint(if known.is_empty() {
                    "invoke the agent on `agentprep serve` first".to_string()
                } else {
                    format!("agents with logs there: {}", listed(&known))
                })
                .into());
            }
            vec![agent.clone()]
        }
        None => store::agents_in(&log_dir),
    };
    if let Some(session) = &args.session
        && !args.follow
        && !agents
            .iter()
            .any(|agent| store::spans_file(&log_dir, agent, session).is_file())
    {
        return Err(unknown_session(session, &log_dir, &agents).into());
    }
    let json = args.output == OutputFormat::Json;
    let mut sessions = Vec::new();
    let mut offsets = HashMap::new();
    for file in files(&log_dir, &agents, args.session.as_deref()) {
        let (spans, end) = read_records::<SpanRecord>(&file.path, 0);
        offsets.insert(file.path.clone(), end);
        let spans = only_session(spans, args.session.as_deref());
        if !spans.is_empty() {
            sessions.push((file, spans));
        }
    }
    // Sessions in the order they began.
    sessions.sort_by_key(|(_, spans)| spans.iter().map(|s| s.start_unix_nano).min());
    if !args.follow {
        return print_all(&log_dir, &sessions, json);
    }
    if json {
        for span in sessions.iter().flat_map(|(_, spans)| spans) {
            stdout::emit(&serde_json::to_string(span)?)?;
        }
    } else {
        print_trees(&log_dir, &sessions)?;
    }
    if let Some(session) = &args.session
        && sessions.is_empty()
    {
        eprintln!("No spans of session `{session}` yet; waiting for them (Ctrl-C stops)");
    }
    follow(&log_dir, &args, offsets, json).await
}

/// `--log-dir`, else the running `serve`'s, else the default. It must exist, unless a `serve`
/// runs and `--follow` waits for its first session to make it.
fn log_dir(args: &TracesArgs) -> anyhow::Result<PathBuf> {
    let serve = serve_state::read(&serve_state::state_file()).filter(|state| state.is_running());
    let dir = args
        .log_dir
        .clone()
        .or_else(|| serve.as_ref().and_then(|state| state.log_dir.clone()))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_LOG_DIR));
    if dir.is_dir() || (args.follow && serve.is_some()) {
        return Ok(dir);
    }
    Err(UserError::failed(format!(
            "no traces here: `{}` does not exist and no `agentprep serve` runs in this directory",
            dir.display()
        ))
        .with_hint("start the local runtime with `agentprep serve` and invoke an agent, or pass `--log-dir DIR` where a `serve` wrote its logs")
        .into())
}

/// The error for a session with no spans: which sessions have some.
fn unknown_session(session: &str, log_dir: &Path, agents: &[String]) -> UserError {
    let known: Vec<String> = agents
        .iter()
        .flat_map(|agent| store::traced_sessions(log_dir, agent))
        .collect();
    let hint = if known.is_empty() {
        "no session has spans yet: agents export them with the OpenTelemetry SDK (`serve` sets its environment)".to_string()
    } else {
        format!("sessions with spans: {}", listed(&known))
    };
    UserError::failed(format!(
        "no spans of session `{session}` in `{}`",
        log_dir.display()
    ))
    .with_hint(hint)
}

/// Names in backticks, comma-separated, at most [`NAMED_SESSIONS`].
fn listed(names: &[String]) -> String {
    let mut text: Vec<String> = names
        .iter()
        .take(NAMED_SESSIONS)
        .map(|name| format!("`{name}`"))
        .collect();
    if names.len() > NAMED_SESSIONS {
        text.push(format!("and {} more", names.len() - NAMED_SESSIONS));
    }
    text.join(", ")
}

/// A session's spans file, and whose it is.
#[derive(Debug, Clone)]
struct SpansFile {
    agent: String,
    path: PathBuf,
}

/// The spans files to read: one session's (in each agent's folder), or every session's.
fn files(log_dir: &Path, agents: &[String], session: Option<&str>) -> Vec<SpansFile> {
    agents
        .iter()
        .flat_map(|agent| {
            let paths = match session {
                Some(session) => vec![store::spans_file(log_dir, agent, session)],
                None => store::spans_files(log_dir, agent),
            };
            paths.into_iter().map(|path| SpansFile {
                agent: agent.clone(),
                path,
            })
        })
        .filter(|file| file.path.is_file())
        .collect()
}

/// The spans of `session` (ids that differ only in characters a file name cannot hold share
/// a file), or all.
fn only_session(spans: Vec<SpanRecord>, session: Option<&str>) -> Vec<SpanRecord> {
    match session {
        Some(session) => spans
            .into_iter()
            .filter(|span| span.session_id.as_deref() == Some(session))
            .collect(),
        None => spans,
    }
}

fn print_all(
    log_dir: &Path,
    sessions: &[(SpansFile, Vec<SpanRecord>)],
    json: bool,
) -> anyhow::Result<()> {
    if json {
        let spans: Vec<&SpanRecord> = sessions.iter().flat_map(|(_, spans)| spans).collect();
        return stdout::emit_json(&spans);
    }
    if sessions.is_empty() {
        eprintln!(
            "No spans yet: agents export them with the OpenTelemetry SDK, which `serve` points at itself"
        );
        return Ok(());
    }
    print_trees(log_dir, sessions)
}

/// Each session: a heading, then its traces with the log records the agent emitted in them.
fn print_trees(log_dir: &Path, sessions: &[(SpansFile, Vec<SpanRecord>)]) -> anyhow::Result<()> {
    for (index, (file, spans)) in sessions.iter().enumerate() {
        let session = spans
            .iter()
            .find_map(|span| span.session_id.clone())
            .unwrap_or_default();
        let traces = spans
            .iter()
            .map(|span| span.trace_id.as_str())
            .collect::<std::collections::HashSet<_>>()
            .len();
        let separator = if index == 0 { "" } else { "\n" };
        stdout::emit(&format!(
            "{separator}Session {session} of `{}`: {} in {}",
            file.agent,
            counted(spans.len(), "span"),
            counted(traces, "trace")
        ))?;
        let logs: Vec<_> = session_otel_logs(log_dir, &file.agent, &session)
            .into_iter()
            .filter(|log| log.session_id.as_deref() == Some(session.as_str()))
            .collect();
        stdout::emit_piece(&trace_tree::render(spans, &logs))?;
    }
    Ok(())
}

/// `1 span`, `2 spans`.
fn counted(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// Print spans appended to the files (new sessions' files included) until Ctrl-C.
async fn follow(
    log_dir: &Path,
    args: &TracesArgs,
    mut offsets: HashMap<PathBuf, u64>,
    json: bool,
) -> anyhow::Result<()> {
    let mut wait = FOLLOW_FIRST;
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(()),
            () = tokio::time::sleep(wait) => {}
        }
        let agents = match &args.agent {
            Some(agent) => vec![agent.clone()],
            None => store::agents_in(log_dir),
        };
        let mut arrived = 0;
        for file in files(log_dir, &agents, args.session.as_deref()) {
            let from = offsets.get(&file.path).copied().unwrap_or(0);
            let (spans, end) = read_records::<SpanRecord>(&file.path, from);
            offsets.insert(file.path, end);
            for span in only_session(spans, args.session.as_deref()) {
                arrived += 1;
                let line = if json {
                    serde_json::to_string(&span)?
                } else {
                    trace_tree::follow_line(&span)
                };
                stdout::emit(&line)?;
            }
        }
        wait = if arrived == 0 {
            (wait * 2).min(FOLLOW_MOST)
        } else {
            FOLLOW_FIRST
        };
    }
}
