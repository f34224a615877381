//! A CodeBuild build's log in CloudWatch Logs, read as the build runs: each new line shown as
//! progress, the last lines kept for the error a failed build ends with.
//!
//! GetLogEvents from the head of the build's stream, then onwards with its forward token; a
//! stream that does not exist yet (the build is still provisioning) is simply not read yet.

use std::collections::VecDeque;

use aws_sdk_cloudwatchlogs::Client;

use crate::aws::errors::{AwsCall, code_of, explain};
use crate::output::progress::Progress;

/// The lines a failed build's error quotes.
pub const LAST_LINES: usize = 20;

/// One build's log stream, read onwards.
pub struct BuildLog {
    logs: Client,
    pub group: String,
    pub stream: String,
    /// Where the next read starts; `None` before the first.
    next_token: Option<String>,
    last: VecDeque<String>,
}

impl BuildLog {
    pub fn new(logs: Client, group: String, stream: String) -> BuildLog {
        BuildLog {
            logs,
            group,
            stream,
            next_token: None,
            last: VecDeque::new(),
        }
    }

    /// Read the lines written since the last read, showing each as progress.
    pub async fn read_new(&mut self, progress: &Progress) -> anyhow::Result<()> {
        // GetLogEvents answers the same token when nothing is new: the pages end there.
        for _ in 0..100 {
            let answer = self
                .logs
                .get_log_events()
                .log_group_name(&self.group)
                .log_stream_name(&self.stream)
                .start_from_head(true)
                .set_next_token(self.next_token.clone())
                .send()
                .await;
            let page = match answer {
                Ok(page) => page,
                Err(error) if code_of(&error).as_deref() == Some("ResourceNotFoundException") => {
                    return Ok(());
                }
                Err(error) => {
                    let call = AwsCall::new(
                        "logs:GetLogEvents",
                        format!("{}:{}", self.group, self.stream),
                    );
                    return Err(explain(&call, None, error));
                }
            };
            for event in page.events() {
                for line in event.message().unwrap_or_default().lines() {
                    let line = line.trim_end();
                    if line.is_empty() {
                        continue;
                    }
                    progress.step(format!("  build | {line}"));
                    self.last.push_back(line.to_string());
                    if self.last.len() > LAST_LINES {
                        self.last.pop_front();
                    }
                }
            }
            let next = page.next_forward_token().map(str::to_string);
            let done = next.is_none() || next == self.next_token;
            self.next_token = next.or(self.next_token.take());
            if done {
                break;
            }
        }
        Ok(())
    }

    /// The last lines read, oldest first.
    pub fn last_lines(&self) -> Vec<String> {
        self.last.iter().cloned().collect()
    }
}
