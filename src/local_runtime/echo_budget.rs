//! How much of a worker's output `serve` echoes on its own stderr: at most
//! [`ECHO_BYTES_PER_SECOND`] a worker. An agent printing in a loop filled serve's log at
//! ~30 MB/s, burying every other session's lines; past the budget its lines go only to its
//! session log, and the echo says so once, until the worker quiets down.

use std::time::{Duration, Instant};

/// The output of one worker echoed per second, at most.
pub const ECHO_BYTES_PER_SECOND: usize = 64 * 1024;

/// What to do with a line, as the budget decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Echo {
    Line,
    /// The line is over the budget: say once that the echo stops.
    NoticeThenDrop,
    Drop,
}

pub struct EchoBudget {
    window_started: Instant,
    spent: usize,
    /// The notice was given in this stretch of dropping.
    told: bool,
    per_second: usize,
}

impl EchoBudget {
    pub fn new(per_second: usize) -> EchoBudget {
        EchoBudget {
            window_started: Instant::now(),
            spent: 0,
            told: false,
            per_second,
        }
    }

    /// Whether a line of `bytes` is echoed now.
    pub fn take(&mut self, bytes: usize) -> Echo {
        self.take_at(bytes, Instant::now())
    }

    fn take_at(&mut self, bytes: usize, now: Instant) -> Echo {
        if now.duration_since(self.window_started) >= Duration::from_secs(1) {
            self.window_started = now;
            self.spent = 0;
        }
        if self.spent + bytes <= self.per_second {
            self.spent += bytes;
            self.told = false;
            return Echo::Line;
        }
        if self.told {
            Echo::Drop
        } else {
            self.told = true;
            Echo::NoticeThenDrop
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_is_cut_with_one_notice_and_the_echo_comes_back_next_second() {
        let start = Instant::now();
        let mut budget = EchoBudget::new(100);
        let decisions: Vec<Echo> = (0..5).map(|_| budget.take_at(40, start)).collect();
        assert_eq!(
            decisions,
            [
                Echo::Line,
                Echo::Line,
                Echo::NoticeThenDrop,
                Echo::Drop,
                Echo::Drop
            ]
        );
        let later = start + Duration::from_millis(1001);
        assert_eq!(budget.take_at(40, later), Echo::Line);
    }
}
