//! `agentprep traces`: the OpenTelemetry spans the local runtime's agents exported, kept per
//! runtime session by `serve`; as a tree per trace for people, as span records with
//! `--output json`; `--follow` prints spans as they arrive until Ctrl-C.
//!
//! It reads the files `serve` writes, not `serve` itself: it works while `serve` runs (its log
//! directory is in `.agentprep/serve.json`) and after it stopped (`--log-dir`, by default
//! `.agentprep/logs`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::cli::{OutputFormat, TracesArgs};
use crate::error::UserError;
use crate::local_runtime::serve_state;
use crate::output::{follow, stdout};
use crate::output::{stderr, terminal_text::TerminalText};
use crate::telemetry::records::SpanRecord;
use crate::telemetry::store;
use crate::telemetry::trace_tree;

/// Session ids named in a message, at most.
const NAMED_SESSIONS: usize = 20;

pub async fn run(args: TracesArgs) -> anyhow::Result<()> {
    let log_dir = log_dir(&args, serve_state::running().as_ref())?;
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
        let (spans, end) = store::spans_from(&file.path, 0, args.session.as_deref());
        offsets.insert(file.path.clone(), end);
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
        stderr::note(format!(
            "No spans of session `{session}` yet; waiting for them (Ctrl-C stops)"
        ));
    }
    follow(&log_dir, &args, offsets, json).await
}

/// `--log-dir`, else the running `serve`'s, else the default. It must exist, unless a `serve`
/// runs and `--follow` waits for its first session to make it.
fn log_dir(args: &TracesArgs, serve: Option<&serve_state::ServeState>) -> anyhow::Result<PathBuf> {
    let dir = serve_state::resolve_log_dir(args.log_dir.as_deref(), serve);
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

/// A session's spans file, whose it is, and its length when listed.
#[derive(Debug, Clone)]
struct SpansFile {
    agent: String,
    path: PathBuf,
    length: u64,
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
            paths.into_iter().filter_map(|path| {
                let meta = std::fs::metadata(&path)
                    .ok()
                    .filter(|meta| meta.is_file())?;
                Some(SpansFile {
                    agent: agent.clone(),
                    path,
                    length: meta.len(),
                })
            })
        })
        .collect()
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
        stderr::note(
            "No spans yet: agents export them with the OpenTelemetry SDK, which `serve` points at itself",
        );
        return Ok(());
    }
    print_trees(log_dir, sessions)
}

/// Each session: a heading, then its traces with the log records the agent emitted in them;
/// on a terminal, the control characters of what the agent named escaped.
fn print_trees(log_dir: &Path, sessions: &[(SpansFile, Vec<SpanRecord>)]) -> anyhow::Result<()> {
    let shown = TerminalText::for_stdout();
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
        stdout::emit(&shown.show(&format!(
            "{separator}Session {session} of `{}`: {} in {}",
            file.agent,
            counted(spans.len(), "span"),
            counted(traces, "trace")
        )))?;
        let logs = store::session_otel_logs(log_dir, &file.agent, &session);
        stdout::emit_piece(&shown.show(&trace_tree::render(spans, &logs)))?;
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
    follow::until_ctrl_c(follow::LOCAL_FILES, async || {
        let agents = match &args.agent {
            Some(agent) => vec![agent.clone()],
            None => store::agents_in(log_dir),
        };
        let mut arrived = 0;
        for file in files(log_dir, &agents, args.session.as_deref()) {
            let from = offsets.get(&file.path).copied().unwrap_or(0);
            // Nothing appended since the last read: not even opened.
            if file.length <= from {
                continue;
            }
            let (spans, end) = store::spans_from(&file.path, from, args.session.as_deref());
            offsets.insert(file.path, end);
            arrived += spans.len();
            for span in spans {
                let line = if json {
                    serde_json::to_string(&span)?
                } else {
                    TerminalText::for_stdout()
                        .show(&trace_tree::follow_line(&span))
                        .into_owned()
                };
                stdout::emit(&line)?;
            }
        }
        Ok(arrived)
    })
    .await
}
