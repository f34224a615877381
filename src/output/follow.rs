//! `--follow`: print what arrives until Ctrl-C, polling with a back-off. `logs` (CloudWatch and
//! the local session logs) and `traces` all follow this way, so the loop lives here, not in
//! a command.
//!
//! The poll waits from a first interval, doubled while nothing arrives up to a most, and back
//! to the first as soon as something does: quick while an agent works, cheap while it idles.
//! One Ctrl-C listener lives as long as the loop, so a Ctrl-C pressed while a step reads (a
//! CloudWatch call, say) is not lost, and it also cuts that step short.

use std::time::Duration;

/// How often to poll: from `first`, doubled while nothing arrives, up to `most`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Polling {
    pub first: Duration,
    pub most: Duration,
}

impl Polling {
    /// The wait after one that saw `arrived` items.
    fn next(self, wait: Duration, arrived: usize) -> Duration {
        if arrived == 0 {
            (wait * 2).min(self.most)
        } else {
            self.first
        }
    }
}

/// Files on this machine: cheap to look at, so looked at often.
pub const LOCAL_FILES: Polling = Polling {
    first: Duration::from_millis(250),
    most: Duration::from_secs(2),
};

/// Wait, run `step` (which prints what arrived and says how many items that was), and again,
/// until Ctrl-C; a step's error ends the loop with it.
pub async fn until_ctrl_c(
    polling: Polling,
    mut step: impl AsyncFnMut() -> anyhow::Result<usize>,
) -> anyhow::Result<()> {
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut wait = polling.first;
    loop {
        tokio::select! {
            _ = &mut ctrl_c => return Ok(()),
            () = tokio::time::sleep(wait) => {}
        }
        let arrived = tokio::select! {
            _ = &mut ctrl_c => return Ok(()),
            arrived = step() => arrived?,
        };
        wait = polling.next(wait, arrived);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_while_nothing_comes_and_resets_when_something_does() {
        let polling = Polling {
            first: Duration::from_secs(1),
            most: Duration::from_secs(8),
        };
        let mut wait = polling.first;
        let mut waits = Vec::new();
        for arrived in [0, 0, 0, 0, 0, 3, 0] {
            wait = polling.next(wait, arrived);
            waits.push(wait.as_secs());
        }
        assert_eq!(waits, [2, 4, 8, 8, 8, 1, 2]);
    }

    #[tokio::test]
    async fn steps_run_until_one_fails_and_its_error_ends_the_loop() {
        let quick = Polling {
            first: Duration::from_millis(1),
            most: Duration::from_millis(2),
        };
        let mut steps = 0;
        let ended = until_ctrl_c(quick, async || {
            steps += 1;
            if steps == 3 {
                anyhow::bail!("the file went away");
            }
            Ok(steps)
        })
        .await;
        assert_eq!(ended.unwrap_err().to_string(), "the file went away");
        assert_eq!(steps, 3);
    }
}
