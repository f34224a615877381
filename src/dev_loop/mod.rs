//! `serve --watch`: the local dev loop. A change to an agent's source is prepared again
//! (`prepare`'s own planning, so the deployment `serve` runs is always one `deploy` would
//! ship), and the runtime switches to the new code once a worker with it has started: until
//! then, and whenever the change cannot be prepared or its code does not start, the previous
//! code keeps serving.

pub mod reload;
pub mod source_fingerprint;
pub mod source_watcher;

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::watch;

use crate::bounded_http::shutdown_flag::stop_requested;
use crate::bundle::output_dir::PreparedFrom;
use crate::local_runtime::hosted_agent::HostedAgent;
use crate::local_runtime::state::LocalRuntime;

/// One agent to keep up to date with its source.
pub struct WatchedAgent {
    pub agent: Arc<HostedAgent>,
    pub deployment_dir: PathBuf,
    pub prepared_from: PreparedFrom,
    /// `serve --python`: used as it is, even when the requirements change.
    pub python_override: Option<PathBuf>,
    /// `serve --python-version`: the version environments are built with on a reload.
    pub python_version: Option<crate::python::version::PythonVersion>,
}

/// Watch each agent's source until shutdown, reloading on changes. Fails at once (before
/// `serve` reports ready) when a source cannot be watched.
pub fn start(
    runtime: &Arc<LocalRuntime>,
    agents: Vec<WatchedAgent>,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    for watched in agents {
        watched.agent.keep_standby();
        let excluded = reload::excluded(runtime, &watched);
        let mut watcher = source_watcher::SourceWatcher::start(&watched.prepared_from, &excluded)?;
        let mut reloader = reload::Reloader::new(Arc::clone(runtime), watched)?;
        let mut stop = shutdown.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    changed = watcher.next_change() => {
                        if !changed {
                            break;
                        }
                        reloader.reload_if_changed().await;
                        if let Err(error) = watcher.follow_inputs(reloader.inputs_outside_source()) {
                            tracing::warn!("{error:#}");
                        }
                    }
                    () = stop_requested(&mut stop) => break,
                }
            }
        });
    }
    Ok(())
}
