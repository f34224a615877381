//! Starting worker processes so that they never outlive `serve`.
//!
//! Each worker is put in its own process group (so stopping it stops whatever it started) and
//! asks the kernel for `SIGKILL` when its parent goes away (`PR_SET_PDEATHSIG`), which covers
//! `serve` itself being killed with no chance to clean up. The kernel ties that signal to the
//! *thread* that forked the child, so every spawn happens on one dedicated thread that lives as
//! long as the process, never on a pool thread that may exit while the worker runs.

use std::sync::mpsc;

use tokio::process::{Child, Command};
use tokio::sync::oneshot;

type Request = (Command, oneshot::Sender<std::io::Result<Child>>);

/// A handle to the spawning thread.
#[derive(Clone)]
pub struct ChildSpawner {
    requests: mpsc::Sender<Request>,
}

impl ChildSpawner {
    /// Start the spawning thread; it uses the current tokio runtime for child I/O.
    pub fn start() -> std::io::Result<ChildSpawner> {
        let (requests, receiver) = mpsc::channel::<Request>();
        let runtime = tokio::runtime::Handle::current();
        std::thread::Builder::new()
            .name("agentprep-spawner".into())
            .spawn(move || {
                let _entered = runtime.enter();
                while let Ok((command, reply)) = receiver.recv() {
                    let _ = reply.send(spawn_tied(command));
                }
            })?;
        Ok(ChildSpawner { requests })
    }

    /// The process's one spawner for children that are not workers (the installers of
    /// environments), started on first use and kept for the life of the process: a spawner's
    /// thread must outlive every child it started, or the kernel kills them with it.
    pub fn shared() -> std::io::Result<ChildSpawner> {
        static SHARED: std::sync::OnceLock<ChildSpawner> = std::sync::OnceLock::new();
        if let Some(spawner) = SHARED.get() {
            return Ok(spawner.clone());
        }
        let started = ChildSpawner::start()?;
        Ok(SHARED.get_or_init(|| started).clone())
    }

    pub async fn spawn(&self, command: Command) -> std::io::Result<Child> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send((command, reply))
            .map_err(|_| std::io::Error::other("the spawner thread has stopped"))?;
        answer
            .await
            .map_err(|_| std::io::Error::other("the spawner thread has stopped"))?
    }
}

fn spawn_tied(mut command: Command) -> std::io::Result<Child> {
    #[cfg(target_os = "linux")]
    {
        let parent = std::process::id();
        // SAFETY: only async-signal-safe calls (prctl, getppid, setpgid) run between fork and exec.
        unsafe {
            command.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // The parent may have died before prctl took effect.
                if libc::getppid() as u32 != parent {
                    libc::_exit(1);
                }
                if libc::setpgid(0, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    #[cfg(all(unix, not(target_os = "linux")))]
    command.process_group(0);
    command.kill_on_drop(true).spawn()
}
