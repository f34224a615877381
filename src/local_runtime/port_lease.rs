//! Loopback ports handed to workers, each reserved while its worker lives.
//!
//! A worker is given a port the system offered free a moment before (bound to port 0, then
//! released for the worker's own server to bind). Nothing stopped the system from offering a
//! port again to the next worker while the first had not bound it yet: two workers on one port,
//! the health check of one answered by the other, one session's requests served by another
//! session's worker. The leases make every port this process hands out distinct among its
//! living workers.

use std::collections::BTreeSet;
use std::sync::Mutex;

/// Ports leased to workers that live.
static LEASED: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());

/// How many offers of the system are tried before giving up.
const OFFERS: usize = 32;

/// A port reserved for one worker until this is dropped (with the worker).
#[derive(Debug)]
pub struct PortLease {
    pub port: u16,
}

impl Drop for PortLease {
    fn drop(&mut self) {
        leased().remove(&self.port);
    }
}

/// A free loopback port no living worker holds.
pub fn lease() -> std::io::Result<PortLease> {
    lease_from(|| {
        Ok(std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port())
    })
}

fn lease_from(mut offer: impl FnMut() -> std::io::Result<u16>) -> std::io::Result<PortLease> {
    for _ in 0..OFFERS {
        let port = offer()?;
        if leased().insert(port) {
            return Ok(PortLease { port });
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AddrInUse,
        format!("the system offered {OFFERS} ports that workers already hold"),
    ))
}

fn leased() -> std::sync::MutexGuard<'static, BTreeSet<u16>> {
    LEASED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_a_worker_holds_is_never_leased_twice_and_is_free_again_after_it() {
        // Ports out of the ephemeral range, so no real lease of a parallel test meets them.
        let mut offers = [1101, 1101, 1102, 1101].into_iter();
        let first = lease_from(|| Ok(offers.next().unwrap())).unwrap();
        let second = lease_from(|| Ok(offers.next().unwrap())).unwrap();
        assert_eq!((first.port, second.port), (1101, 1102));
        drop(first);
        let again = lease_from(|| Ok(offers.next().unwrap())).unwrap();
        assert_eq!(again.port, 1101);
        let always_taken = lease_from(|| Ok(1102)).unwrap_err();
        assert_eq!(always_taken.kind(), std::io::ErrorKind::AddrInUse);
    }
}
