//! The loopback socket a worker serves on: bound by `serve` and handed to the worker's process,
//! so the port is never free between its choice and the worker's server.
//!
//! Workers used to be given a port number the system had offered free a moment before (bound to
//! port 0, then released for the worker's own server to bind). In between, anything on the
//! machine could take it: the worker then failed to start, or another program answered its
//! health check and its session's requests. Now `serve` binds the socket and the worker
//! inherits it (its file descriptor named in [`LISTEN_FD_ENV`]); the generated `invoke.py`
//! hands it to uvicorn, which listens on it once the app has started, so a connection is
//! refused until the server is ready, as before.
//!
//! The socket is bound, not listening: `SO_REUSEADDR` on it lets an `invoke.py` written by an
//! older agentprep bind `PORT` itself (a socket that listens nowhere blocks no one who reuses
//! the address), while the system never offers a bound port to a bind of port 0.
//! `TCP_NODELAY` is set on it because Linux passes it on to every connection accepted on it:
//! uvicorn takes an inherited socket for a Unix one and does not set it on those connections.
//!
//! Beyond the socket, a port is leased to its worker while the worker lives: once the worker's
//! process has exited its port is free again, and a request still on its way to the old worker
//! must not meet a new one on the same port.

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::sync::Mutex;

/// The environment variable that names the inherited socket's file descriptor.
pub const LISTEN_FD_ENV: &str = "AGENTPREP_LISTEN_FD";

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

/// A bound loopback socket for a new worker, and the lease of its port.
#[derive(Debug)]
pub struct WorkerSocket {
    /// Closed in `serve` once the worker's process has it (`hand_over`).
    socket: OwnedFd,
    pub lease: PortLease,
}

impl WorkerSocket {
    /// A socket bound to a free loopback port that no living worker holds.
    pub fn bind() -> std::io::Result<WorkerSocket> {
        // Offers refused are kept bound until the end, so the system offers another each time.
        let mut refused = Vec::new();
        for _ in 0..OFFERS {
            let (socket, port) = bound_socket()?;
            if let Some(lease) = lease(port) {
                return Ok(WorkerSocket { socket, lease });
            }
            refused.push(socket);
        }
        Err(std::io::Error::new(
            std::io::ErrorKind::AddrInUse,
            format!("the system offered {OFFERS} ports that workers already hold"),
        ))
    }

    pub fn port(&self) -> u16 {
        self.lease.port
    }

    /// The descriptor the worker's process inherits.
    pub fn fd(&self) -> RawFd {
        self.socket.as_raw_fd()
    }

    /// The worker's process has the socket: `serve` closes its own copy (a copy kept open
    /// would hold the port after the worker exits, and connections to it would wait instead of
    /// being refused). The lease stays with the worker.
    pub fn hand_over(self) -> PortLease {
        drop(self.socket);
        self.lease
    }
}

/// Make `fd` (inherited from the parent) survive the exec into the worker's program. Runs in
/// the child between fork and exec: only `fcntl`, which is async-signal-safe.
pub fn keep_across_exec(fd: RawFd) -> std::io::Result<()> {
    // SAFETY: fcntl on a descriptor number; no memory is touched.
    if unsafe { libc::fcntl(fd, libc::F_SETFD, 0) } == -1 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

fn bound_socket() -> std::io::Result<(OwnedFd, u16)> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.set_nodelay(true)?;
    socket.bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?;
    let port = socket.local_addr()?.port();
    // SAFETY: the descriptor was just given up by the socket, so it has one owner.
    let fd = unsafe { OwnedFd::from_raw_fd(socket.into_raw_fd()) };
    Ok((above_stdio(fd)?, port))
}

/// A descriptor numbered 3 or more: a child's standard streams are set up on 0 to 2 before its
/// program starts, and would replace a socket there (`serve` started with a stream closed).
fn above_stdio(fd: OwnedFd) -> std::io::Result<OwnedFd> {
    if fd.as_raw_fd() > 2 {
        return Ok(fd);
    }
    // SAFETY: fcntl copies a descriptor this function owns; the copy gets one owner.
    let copy = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 3) };
    if copy == -1 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(unsafe { OwnedFd::from_raw_fd(copy) })
}

/// The lease of `port`, unless a living worker holds it.
fn lease(port: u16) -> Option<PortLease> {
    // The set's lock is let go before a lease is made: a lease made and dropped under it
    // would lock it again.
    let fresh = leased().insert(port);
    fresh.then(|| PortLease { port })
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
        let first = lease(1101).unwrap();
        assert!(lease(1101).is_none());
        let second = lease(1102).unwrap();
        assert_eq!((first.port, second.port), (1101, 1102));
        drop(first);
        assert_eq!(lease(1101).map(|again| again.port), Some(1101));
    }

    #[test]
    fn a_worker_socket_holds_its_port_until_the_worker_has_it() {
        let socket = WorkerSocket::bind().unwrap();
        let port = socket.port();
        assert!(socket.fd() > 2);
        // Bound, not listening: nothing is accepted before the worker's server listens...
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
        // ...and no one who does not reuse the address can take the port.
        let other = tokio::net::TcpSocket::new_v4().unwrap();
        assert!(
            other
                .bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
                .is_err()
        );
        let lease = socket.hand_over();
        assert_eq!(lease.port, port);
        assert!(WorkerSocket::bind().unwrap().port() != port, "still leased");
    }
}
