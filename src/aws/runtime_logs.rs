//! A deployed runtime's logs in CloudWatch Logs: the group AgentCore writes them to
//! (`/aws/bedrock-agentcore/runtimes/<runtime id>-<endpoint>`), read with FilterLogEvents from a
//! start time, narrowed to one session by its id, page by page; polled again for `--follow`.

use std::collections::{HashSet, VecDeque};

use aws_sdk_cloudwatchlogs::Client;
use serde::Serialize;

use crate::agentcore_contract::{DEFAULT_QUALIFIER, LOG_GROUP_PREFIX};
use crate::aws::errors::{AwsCall, code_of, explain};
use crate::error::UserError;

/// Event ids remembered to tell a repeated event from a new one while following.
const SEEN_IDS: usize = 10_000;

/// The log group of runtime `runtime_id`'s DEFAULT endpoint.
pub fn log_group(runtime_id: &str) -> String {
    format!("{LOG_GROUP_PREFIX}{runtime_id}-{DEFAULT_QUALIFIER}")
}

#[derive(Debug, Clone, Serialize)]
pub struct LogEvent {
    /// Milliseconds since the epoch.
    pub timestamp: i64,
    pub stream: String,
    pub message: String,
}

/// Reads a group's events in order, each once, from a start time on.
pub struct LogReader {
    client: Client,
    group: String,
    pattern: Option<String>,
    /// Read from here (ms): the newest timestamp seen, as later events may share it.
    start: i64,
    seen: HashSet<String>,
    seen_order: VecDeque<String>,
}

impl LogReader {
    /// `session`: only events that name it (a filter pattern of its id as a quoted term).
    pub fn new(client: Client, group: String, start: i64, session: Option<&str>) -> Self {
        LogReader {
            client,
            group,
            pattern: session.map(|id| format!("\"{}\"", id.replace('"', ""))),
            start,
            seen: HashSet::new(),
            seen_order: VecDeque::new(),
        }
    }

    /// The events not read before, oldest first.
    pub async fn next_events(&mut self) -> anyhow::Result<Vec<LogEvent>> {
        let mut events = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .filter_log_events()
                .log_group_name(&self.group)
                .start_time(self.start)
                .set_filter_pattern(self.pattern.clone())
                .set_next_token(token.clone())
                .send()
                .await;
            let page = match page {
                Ok(page) => page,
                Err(error) if code_of(&error).as_deref() == Some("ResourceNotFoundException") => {
                    return Err(UserError::failed(format!(
                        "no logs yet: the log group `{}` does not exist",
                        self.group
                    ))
                    .with_hint(
                        "AgentCore creates it when the runtime first runs; invoke the agent, then try again",
                    )
                    .into());
                }
                Err(error) => {
                    return Err(explain(
                        &AwsCall::new("logs:FilterLogEvents", self.group.clone()),
                        None,
                        error,
                    ));
                }
            };
            for event in page.events() {
                let id = event.event_id().unwrap_or_default().to_string();
                if !self.remember(id) {
                    continue;
                }
                events.push(LogEvent {
                    timestamp: event.timestamp().unwrap_or_default(),
                    stream: event.log_stream_name().unwrap_or_default().to_string(),
                    message: event
                        .message()
                        .unwrap_or_default()
                        .trim_end_matches('\n')
                        .to_string(),
                });
            }
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        events.sort_by_key(|event| event.timestamp);
        if let Some(newest) = events.last() {
            self.start = self.start.max(newest.timestamp);
        }
        Ok(events)
    }

    /// Whether `id` is new; kept among the last [`SEEN_IDS`].
    fn remember(&mut self, id: String) -> bool {
        if !self.seen.insert(id.clone()) {
            return false;
        }
        self.seen_order.push_back(id);
        if self.seen_order.len() > SEEN_IDS
            && let Some(oldest) = self.seen_order.pop_front()
        {
            self.seen.remove(&oldest);
        }
        true
    }
}

/// `--since`: `30s`, `10m`, `2h`, `1d` (a bare number is minutes), in milliseconds.
pub fn parse_since(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "m"),
    };
    let amount: i64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as 30s, 10m, 2h or 1d"))?;
    let unit_ms = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(format!("`{text}`: the unit is one of s, m, h, d")),
    };
    Ok(amount.saturating_mul(unit_ms))
}

/// A UTC timestamp as people read it: `2026-11-26T10:04:05.123Z`.
pub fn utc_text(ms: i64) -> String {
    let seconds = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_times_read_as_people_write_them() {
        assert_eq!(parse_since("30s"), Ok(30_000));
        assert_eq!(parse_since("10m"), Ok(600_000));
        assert_eq!(parse_since("15"), Ok(900_000));
        assert_eq!(parse_since("1d"), Ok(86_400_000));
        assert!(parse_since("ten minutes").is_err());
        assert!(parse_since("5w").is_err());
        assert_eq!(utc_text(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(utc_text(1_795_687_445_123), "2026-11-26T10:04:05.123Z");
        assert_eq!(utc_text(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn the_group_is_the_runtimes_default_endpoints() {
        assert_eq!(
            log_group("lab_agent-AbCdEfGhIj"),
            "/aws/bedrock-agentcore/runtimes/lab_agent-AbCdEfGhIj-DEFAULT"
        );
    }
}
