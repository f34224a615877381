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
use crate::local_runtime::serve_state;
use crate::local_runtime::worker::session_log_name;
use crate::output::stdout;
use crate::project_state::{ProjectState, STATE_FILE};

/// `--log-dir`'s default, as `serve` and `logs` share it.
const DEFAULT_LOG_DIR: &str = ".agentprep/logs";

/// Polling while following: from the first interval, doubled while nothing comes, up to the
/// last.
const FOLLOW_FIRST: Duration = Duration::from_secs(1);
const FOLLOW_MOST: Duration = Duration::from_secs(8);

pub async fn run(args: LogsArgs) -> anyhow::Result<()> {
    let since = runtime_logs::parse_since(&args.since)
        .map_err(|message| UserError::usage(format!("`--since {}`: {message}", args.since)))?;
    if args.local {
        return local(&args);
    }
    let state = ProjectState::load(Path::new(STATE_FILE))?;
    let deployed = state
        .choose_agent(args.agent.as_deref())
        .filter(|name| state.has_agent(name));
    // Nothing deployed, and a local runtime runs here: its logs are the ones wanted (the dev
    // loop), without `--local`.
    if deployed.is_none() && running_serve().is_some() {
        return local(&args);
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
            eprintln!("({} lines from `{group}`)", first.len());
        }
        return Ok(());
    }
    print_events(&first, json)?;
    let mut wait = FOLLOW_FIRST;
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(()),
            () = tokio::time::sleep(wait) => {}
        }
        let events = reader.next_events().await?;
        wait = if events.is_empty() {
            (wait * 2).min(FOLLOW_MOST)
        } else {
            FOLLOW_FIRST
        };
        print_events(&events, json)?;
    }
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
                event.message
            )
        };
        stdout::emit(&line)?;
    }
    Ok(())
}

/// The local runtime's session logs: `<log-dir>/<agent>/<session>.log`.
/// The `serve` running in this directory, if any.
fn running_serve() -> Option<serve_state::ServeState> {
    serve_state::read(&serve_state::state_file()).filter(|state| state.is_running())
}

fn local(args: &LogsArgs) -> anyhow::Result<()> {
    // The running `serve`'s own log directory, unless `--log-dir` names another.
    let log_dir = match running_serve().and_then(|state| state.log_dir) {
        Some(dir) if args.log_dir == Path::new(DEFAULT_LOG_DIR) => dir,
        _ => args.log_dir.clone(),
    };
    let agent = match &args.agent {
        Some(agent) => agent.clone(),
        None => serve_state::read(&serve_state::state_file())
            .and_then(|state| state.agents.first().map(|agent| agent.name.clone()))
            .ok_or_else(|| {
                UserError::usage("which agent? no `agentprep serve` was found in this directory")
                    .with_hint("pass `--agent NAME`")
            })?,
    };
    let dir = log_dir.join(&agent);
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "log"))
            // Named as `serve` names the session's file.
            .filter(|path| {
                args.session.as_deref().is_none_or(|session| {
                    path.file_name()
                        .is_some_and(|name| name.to_string_lossy() == session_log_name(session))
                })
            })
            .collect(),
        Err(_) => Vec::new(),
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
        let text = crate::local_files::bounded_read::read_bytes(file, 64 * 1024 * 1024).map_err(
            |error| UserError::failed(format!("`{}` cannot be read: {error}", file.display())),
        )?;
        stdout::emit_piece(&String::from_utf8_lossy(&text))?;
    }
    if args.follow {
        return follow_file(files.last().map(PathBuf::as_path).unwrap_or(&dir));
    }
    Ok(())
}

/// Print what is appended to `file` until Ctrl-C.
fn follow_file(file: &Path) -> anyhow::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let mut position = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    loop {
        std::thread::sleep(Duration::from_millis(500));
        let Ok(mut opened) = std::fs::File::open(file) else {
            continue;
        };
        let length = opened.metadata().map(|m| m.len()).unwrap_or(0);
        if length < position {
            position = 0;
        }
        if length > position {
            opened.seek(SeekFrom::Start(position))?;
            let mut added = Vec::new();
            opened
                .by_ref()
                .take((length - position).min(1024 * 1024))
                .read_to_end(&mut added)?;
            position += added.len() as u64;
            stdout::emit_piece(&String::from_utf8_lossy(&added))?;
        }
    }
}
