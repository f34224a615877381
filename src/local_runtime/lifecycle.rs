//! When a session's worker is stopped, as AgentCore decides for its microVMs: after
//! `idle_timeout` without requests, unless its `/ping` says `HealthyBusy`; always after
//! `max_lifetime`. A pure function of the clock, so it is tested without waiting.

use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub idle_timeout: Duration,
    pub max_lifetime: Duration,
}

/// What to do with a session now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Keep,
    /// Idle for too long: stop it unless its `/ping` says it is busy.
    StopUnlessBusy,
    /// Lived too long: stop it whatever it is doing.
    Stop,
}

pub fn verdict(
    now: Instant,
    created: Instant,
    last_activity: Instant,
    in_flight: usize,
    limits: Limits,
) -> Verdict {
    if now.saturating_duration_since(created) >= limits.max_lifetime {
        return Verdict::Stop;
    }
    if in_flight == 0 && now.saturating_duration_since(last_activity) >= limits.idle_timeout {
        return Verdict::StopUnlessBusy;
    }
    Verdict::Keep
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        idle_timeout: Duration::from_secs(900),
        max_lifetime: Duration::from_secs(28_800),
    };

    #[test]
    fn idle_sessions_are_stopped_unless_busy_and_old_ones_always() {
        let start = Instant::now();
        let at = |secs: u64| start + Duration::from_secs(secs);
        assert_eq!(verdict(at(899), start, start, 0, LIMITS), Verdict::Keep);
        assert_eq!(
            verdict(at(900), start, start, 0, LIMITS),
            Verdict::StopUnlessBusy
        );
        assert_eq!(
            verdict(at(1000), start, at(500), 0, LIMITS),
            Verdict::Keep,
            "activity resets the idle clock"
        );
        assert_eq!(
            verdict(at(5000), start, start, 1, LIMITS),
            Verdict::Keep,
            "a request in flight is not idleness"
        );
        assert_eq!(
            verdict(at(28_800), start, at(28_799), 3, LIMITS),
            Verdict::Stop
        );
    }
}
