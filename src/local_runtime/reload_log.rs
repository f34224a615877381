//! What `serve --watch` did with each change to an agent's source: reloaded, or kept the
//! previous code and why. Kept in memory, the newest few only, for the inspector page.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde::Serialize;

/// How many reload events are kept.
const KEPT_EVENTS: usize = 50;

#[derive(Debug, Clone, Serialize)]
pub struct ReloadEvent {
    pub at_unix_ms: u128,
    pub agent: String,
    /// The new code serves (`true`), or the previous code still does (`false`).
    pub ok: bool,
    pub message: String,
}

#[derive(Default)]
pub struct ReloadLog {
    /// Oldest first. Guarded by its mutex; written by the watcher, read by the inspector.
    events: Mutex<VecDeque<ReloadEvent>>,
}

impl ReloadLog {
    pub fn record(&self, agent: &str, ok: bool, message: impl Into<String>) {
        let at_unix_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default();
        let mut events = self
            .events
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if events.len() == KEPT_EVENTS {
            events.pop_front();
        }
        events.push_back(ReloadEvent {
            at_unix_ms,
            agent: agent.to_string(),
            ok,
            message: message.into(),
        });
    }

    /// Every kept event, newest first.
    pub fn newest_first(&self) -> Vec<ReloadEvent> {
        self.events
            .lock()
            .map(|events| events.iter().rev().cloned().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_newest_events_are_kept_newest_first() {
        let log = ReloadLog::default();
        for n in 0..(KEPT_EVENTS + 5) {
            log.record("agent", n % 2 == 0, format!("change {n}"));
        }
        let events = log.newest_first();
        assert_eq!(events.len(), KEPT_EVENTS);
        assert_eq!(events[0].message, format!("change {}", KEPT_EVENTS + 4));
        assert_eq!(events.last().unwrap().message, "change 5");
    }
}
