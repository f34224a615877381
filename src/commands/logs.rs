//! `agentprep logs`: a deployed agent's logs from CloudWatch Logs, or (`--local`) the session
//! logs of `agentprep serve`; one session's when `--session` names it; `--follow` keeps
//! printing what comes until Ctrl-C, polling with a back-off that resets when lines arrive.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::aws::region::AwsRegion;
use crate::aws::runtime_logs::{self, LogEvent, LogReader};
use crate::aws::sdk_config;
use crate::cli::{LogsArgs, OutputFormat};
use crate::error::UserError;
use crate::local_files::bounded_read;
use crate::local_files::session_files::session_log_file;
use crate::local_runtime::serve_state::{self, ServeState};
use crate::output::{follow, stdout};
use crate::output::{stderr, terminal_text::TerminalText};
use crate::project_state::{ProjectState, STATE_FILE};

/// Polling CloudWatch Logs while following: each poll is an API call, so less often than files.
const CLOUDWATCH: follow::Polling = follow::Polling {
    first: Duration::from_secs(1),
    most: Duration::from_secs(8),
};

/// The most of a session log printed at once.
const MAX_PRINTED_BYTES: u64 = 64 * 1024 * 1024;

/// The most read of what was appended to a followed log in one poll.
const FOLLOW_PIECE_BYTES: u64 = 1024 * 1024;

pub async fn run(args: LogsArgs) -> anyhow::Result<()> {
    let since = runtime_logs::parse_since(&args.since)
        .map_err(|message| UserError::usage(format!("`--since {}`: {message}", args.since)))?;
    // `.agentprep/serve.json`, read once: a running `serve` says where its logs are, and the
    // file a killed one left still names its agents.
    let recorded = serve_state::read(&serve_state::state_file());
    let running = recorded.as_ref().filter(|state| state.is_running());
    if args.local {
        return local(&args, recorded.as_ref(), running).await;
    }
    let state = ProjectState::load(Path::new(STATE_FILE))?;
    let deployed = state
        .choose_agent(args.agent.as_deref())
        .filter(|name| state.has_agent(name));
    // Nothing deployed, and a local runtime runs here: its logs are the ones wanted (the dev
    // loop), without `--local`.
    if deployed.is_none() && running.is_some() {
        return local(&args, recorded.as_ref(), running).await;
    }
    let agent = deployed.ok_or_else(|| {
        UserError::failed(format!("no deployed agent is recorded in `{STATE_FILE}`"))
            .with_hint("deploy with `agentprep deploy`, or read the local runtime's with `--local`")
    })?;
    let runtime_id = state.runtime_id_of(&agent).ok_or_else(|| {
        UserError::failed(format!(
            "`{agent}` has no runtime id in `{STATE_FILE}`: it was never deployed"
        ))
        .with_hint("run `agentprep deploy`")
    })?;
    let region_name = state
        .region_of(&agent)
        .ok_or_else(|| UserError::failed(format!("`{agent}` has no region in `{STATE_FILE}`")))?;
    let region = AwsRegion::parse(&region_name, STATE_FILE)?;
    let config = sdk_config::load(&region).await;
    sdk_config::require_credentials(&config, Some("--local")).await?;
    let group = runtime_logs::log_group(&runtime_id);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default();
    let mut reader = LogReader::new(
        aws_sdk_cloudwatchlogs::Client::new(&config),
        group.clone(),
        now - since,
        args.session.as_deref(),
    );
    let json = args.output == OutputFormat::Json;
    let first = reader.next_events().await?;
    if !args.follow {
        if json {
            stdout::emit_json(&serde_json::json!({"log_group": group, "events": first}))?;
        } else {
            print_events(&first, false)?;
            stderr::note(format!("({} lines from `{group}`)", first.len()));
        }
        return Ok(());
    }
    print_events(&first, json)?;
    follow::until_ctrl_c(CLOUDWATCH, async || {
        let events = reader.next_events().await?;
        print_events(&events, json)?;
        Ok(events.len())
    })
    .await
}

/// Each event on a line: its time and message, or (following with `--output json`) one JSON
/// document per line.
fn print_events(events: &[LogEvent], json_lines: bool) -> anyhow::Result<()> {
    for event in events {
        let line = if json_lines {
            serde_json::to_string(event)?
        } else {
            format!(
                "{}  {}",
                runtime_logs::utc_text(event.timestamp),
                TerminalText::for_stdout().show(&event.message)
            )
        };
        stdout::emit(&line)?;
    }
    Ok(())
}

/// The local runtime's session logs: `<log-dir>/<agent>/<session>.log`. `recorded` is what
/// `.agentprep/serve.json` holds, `running` the same when its `serve` still runs.
async fn local(
    args: &LogsArgs,
    recorded: Option<&ServeState>,
    running: Option<&ServeState>,
) -> anyhow::Result<()> {
    let log_dir = serve_state::resolve_log_dir(args.log_dir.as_deref(), running);
    let agent = match &args.agent {
        Some(agent) => agent.clone(),
        None => recorded
            .and_then(|state| state.agents.first().map(|agent| agent.name.clone()))
            .ok_or_else(|| {
                UserError::usage("which agent? no `agentprep serve` was found in this directory")
                    .with_hint("pass `--agent NAME`")
            })?,
    };
    let dir = log_dir.join(&agent);
    let mut files: Vec<PathBuf> = match &args.session {
        // Named as `serve` names the session's file.
        Some(session) => Some(session_log_file(&log_dir, &agent, session))
            .filter(|file| file.is_file())
            .into_iter()
            .collect(),
        None => match std::fs::read_dir(&dir) {
            Ok(entries) => entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|path| path.extension().is_some_and(|ext| ext == "log"))
                .collect(),
            Err(_) => Vec::new(),
        },
    };
    files.sort();
    if files.is_empty() {
        return Err(UserError::failed(format!(
            "no session logs of `{agent}` in `{}`{}",
            dir.display(),
            args.session
                .as_deref()
                .map(|session| format!(" for session `{session}`"))
                .unwrap_or_default()
        ))
        .with_hint("`agentprep serve` writes one per session as the session's worker prints")
        .into());
    }
    for file in &files {
        if files.len() > 1 {
            stdout::emit(&format!("== {}", file.display()))?;
        }
        let text = bounded_read::read_bytes(file, MAX_PRINTED_BYTES).map_err(|error| {
            UserError::failed(format!("`{}` cannot be read: {error}", file.display()))
        })?;
        stdout::emit_piece(&TerminalText::for_stdout().show(&String::from_utf8_lossy(&text)))?;
    }
    if args.follow {
        return follow_file(files.last().map(PathBuf::as_path).unwrap_or(&dir)).await;
    }
    Ok(())
}

/// Print what is appended to `file` until Ctrl-C; a file cut shorter (replaced, truncated) is
/// read again from its start.
async fn follow_file(file: &Path) -> anyhow::Result<()> {
    let mut position = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    follow::until_ctrl_c(follow::LOCAL_FILES, async || {
        let Ok(meta) = std::fs::metadata(file) else {
            return Ok(0);
        };
        if meta.len() < position {
            position = 0;
        }
        if meta.len() == position {
            return Ok(0);
        }
        let (added, end) = bounded_read::read_from(file, position, FOLLOW_PIECE_BYTES);
        position = end;
        stdout::emit_piece(&TerminalText::for_stdout().show(&String::from_utf8_lossy(&added)))?;
        Ok(added.len())
    })
    .await
}
