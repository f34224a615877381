//! One agent's reload: its source prepared again with `prepare`'s own planning (no IAM: the
//! role is not the dev loop's business, and the deployment's IAM documents are kept as they
//! were written), the Python environment rebuilt only when the requirements changed, the
//! deployment swapped in atomically, and a worker of the new code started. Only once that
//! worker answers does the runtime switch: new sessions and the warm pool get the new code at
//! once, idle sessions' workers are replaced at once, busy ones after their requests end. A
//! change that cannot be prepared, or whose code does not start, leaves the previous code
//! serving and says why.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use crate::bundle::output_dir::{Content, PlannedFile};
use crate::dev_loop::WatchedAgent;
use crate::dev_loop::source_fingerprint;
use crate::local_runtime::python_env;
use crate::local_runtime::state::LocalRuntime;
use crate::output::progress::Progress;
use crate::prepare::plan::PreparePlan;
use crate::prepare::{PrepareOptions, RoleChoice};

pub struct Reloader {
    runtime: Arc<LocalRuntime>,
    watched: WatchedAgent,
    /// The source as last prepared (or last tried).
    fingerprint: String,
    /// Left out of the fingerprint (`excluded`).
    excluded: Vec<std::path::PathBuf>,
}

impl Reloader {
    pub fn new(runtime: Arc<LocalRuntime>, watched: WatchedAgent) -> anyhow::Result<Reloader> {
        let excluded = excluded(&runtime, &watched);
        let fingerprint = source_fingerprint::of(&watched.prepared_from, &excluded)?;
        Ok(Reloader {
            runtime,
            watched,
            fingerprint,
            excluded,
        })
    }

    /// Reload when the source differs from the one last prepared.
    pub async fn reload_if_changed(&mut self) {
        let started = Instant::now();
        let agent = self.watched.agent.name.clone();
        let (from, excluded) = (self.watched.prepared_from.clone(), self.excluded.clone());
        let fingerprint = off_the_runtime("reading its source", move || {
            source_fingerprint::of(&from, &excluded).map_err(|error| format!("{error:#}"))
        })
        .await;
        let fingerprint = match fingerprint {
            Ok(fingerprint) => fingerprint,
            Err(error) => {
                self.report_failure(&format!("its source cannot be read: {error}"));
                return;
            }
        };
        if fingerprint == self.fingerprint {
            return;
        }
        self.fingerprint = fingerprint;
        tracing::info!("`{agent}` changed: preparing it again");
        let reloaded = match self.plan().await {
            Ok(plan) => {
                // The files outside the source it was made from now (followed by the watcher).
                self.watched.prepared_from.inputs_outside_source =
                    crate::prepare::apply::prepared_from(&plan).inputs_outside_source;
                self.switch_to(plan).await
            }
            Err(problem) => Err(problem),
        };
        match reloaded {
            Ok(generation) => {
                let message = format!(
                    "Reloaded `{agent}` in {} ms (code version {generation}): new sessions and idle ones get the new code now, busy ones once their requests end",
                    started.elapsed().as_millis()
                );
                tracing::info!("{message}");
                self.runtime.reloads.record(&agent, true, message);
            }
            Err(problem) => self.report_failure(&problem),
        }
    }

    /// The files outside the source the deployment was last made from.
    pub fn inputs_outside_source(&self) -> &[std::path::PathBuf] {
        &self.watched.prepared_from.inputs_outside_source
    }

    fn report_failure(&self, problem: &str) {
        let agent = &self.watched.agent.name;
        tracing::error!(
            "the change to `{agent}` was not loaded, and the previous code keeps serving: {problem}"
        );
        self.runtime.reloads.record(agent, false, problem);
    }

    /// The source prepared again, as `prepare` would (without AWS).
    async fn plan(&self) -> Result<PreparePlan, String> {
        let watched = &self.watched;
        let agent = &watched.agent;
        let from = &watched.prepared_from;
        let options = PrepareOptions {
            source: from.source.clone(),
            name: from.name.clone(),
            region: from.region.clone(),
            output_dir: watched.deployment_dir.clone(),
            entrypoint: from.entrypoint.clone(),
            protocol: from.protocol,
            requirements: from.requirements.clone(),
            policies: Vec::new(),
            include: from.include.clone(),
            role: RoleChoice::None,
            dry_run: false,
            force: false,
        };
        // Reading and parsing the source is blocking work: on a thread of its own, bounded, so
        // a source that stops answering never holds up the runtime's requests.
        let runtime = tokio::runtime::Handle::current();
        let mut plan = off_the_runtime("preparing it", move || {
            let progress = Progress::warnings_only();
            runtime
                .block_on(crate::prepare::plan::plan(&options, &progress))
                .map_err(|error| format!("{error:#}"))
        })
        .await?;
        if plan.analysis.agent.as_str() != agent.name {
            return Err(format!(
                "the change names the agent `{}` instead of `{}`; restart `serve` to host it under its new name",
                plan.analysis.agent.as_str(),
                agent.name
            ));
        }
        if plan.analysis.chosen.protocol != agent.protocol() {
            return Err(format!(
                "the change makes `{}` a {} server instead of {}; restart `serve` to serve it so",
                agent.name,
                plan.analysis.chosen.protocol,
                agent.protocol()
            ));
        }
        keep_iam_documents(&mut plan.files, &watched.deployment_dir);
        Ok(plan)
    }

    /// Write the plan's deployment, start the new code, switch; the new code version.
    async fn switch_to(&self, plan: PreparePlan) -> Result<u64, String> {
        let watched = &self.watched;
        let agent = &watched.agent;
        let progress = Progress::warnings_only();
        let requirements = plan.analysis.requirements.render();
        let current = agent.spec();
        let requirements_changed =
            std::fs::read_to_string(watched.deployment_dir.join("requirements.txt"))
                .ok()
                .as_deref()
                != Some(requirements.as_str());
        let python = match (&watched.python_override, requirements_changed) {
            (_, false) => current.python.clone(),
            (Some(python), true) => {
                tracing::warn!(
                    "the requirements of `{}` changed; `--python {}` is used as it is",
                    agent.name,
                    python.display()
                );
                python.clone()
            }
            (None, true) => {
                tracing::info!(
                    "The requirements of `{}` changed: building their Python environment (the previous code serves meanwhile)",
                    agent.name
                );
                environment_for(&requirements, &plan.analysis.python, watched.python_version)
                    .await?
            }
        };
        let previous = crate::prepare::apply::write_deployment(&plan, &progress)
            .map_err(|error| format!("{error:#}"))?;
        let mut spec = (*current).clone();
        spec.generation = current.generation + 1;
        // Same requirements, same environment: instrumented as before.
        if requirements_changed {
            spec.auto_instrument = crate::local_runtime::auto_instrumentation::instrument_for_names(
                &python,
                plan.analysis.requirements.names(),
            );
        }
        spec.python = python;
        // An environment that lacks what the new code imports is said so, by name, and the
        // previous deployment goes back.
        if let Err(error) =
            crate::local_runtime::missing_imports::check(&spec.python, &watched.deployment_dir)
                .await
        {
            if let Some(previous) = previous
                && let Err(restore) = previous.restore()
            {
                tracing::warn!("{restore:#}");
            }
            return Err(format!("{error:#}"));
        }
        let first = match agent.launch_with(&spec).await {
            Ok(first) => first,
            // Workers started from now on (new sessions, the pool) must not get code that
            // cannot start: the previous deployment goes back.
            Err(failure) => {
                let put_back = match previous.map(|previous| previous.restore()) {
                    Some(Err(error)) => format!(
                        "; the previous deployment could not be put back ({error:#}), so new workers run the new code until it is fixed"
                    ),
                    _ => String::new(),
                };
                return Err(format!(
                    "the new code did not start: {}{put_back}",
                    failure.message
                ));
            }
        };
        if let Some(previous) = previous
            && let Err(error) = previous.discard()
        {
            tracing::warn!("{error:#}");
        }
        let generation = spec.generation;
        agent.switch_to(spec, first);
        self.runtime.sessions.replace_outdated_workers();
        Ok(generation)
    }
}

/// What a run inside the source writes, and so is no change to it.
pub fn excluded(runtime: &LocalRuntime, watched: &WatchedAgent) -> Vec<std::path::PathBuf> {
    vec![watched.deployment_dir.clone(), runtime.log_dir.clone()]
}

/// The deployment's IAM documents as `prepare` wrote them with the account and the region;
/// a reload plans without AWS and would write them without.
fn keep_iam_documents(files: &mut [PlannedFile], deployment_dir: &Path) {
    for file in files.iter_mut() {
        if file.relative.starts_with("iam")
            && let Ok(text) = std::fs::read_to_string(deployment_dir.join(&file.relative))
        {
            file.content = Content::Generated(text);
        }
    }
}

/// The Python environment for requirements not yet written to the deployment, on the Python
/// the changed source asks for.
async fn environment_for(
    requirements: &str,
    choice: &crate::agent::python_choice::PythonChoice,
    flag: Option<crate::python::version::PythonVersion>,
) -> Result<std::path::PathBuf, String> {
    let (base, _) = python_env::base_interpreter(choice, flag)
        .await
        .map_err(|error| format!("{error:#}"))?;
    let staged = tempfile::Builder::new()
        .prefix("agentprep-requirements-")
        .suffix(".txt")
        .tempfile()
        .map_err(|error| format!("cannot stage the new requirements: {error}"))?;
    std::fs::write(staged.path(), requirements)
        .map_err(|error| format!("cannot stage the new requirements: {error}"))?;
    python_env::ensure_env(staged.path(), &base, &Progress::warnings_only())
        .await
        .map_err(|error| format!("the new requirements cannot be installed: {error:#}"))
}

/// How long reading and preparing the source for a reload may take.
const SOURCE_WORK_BOUND: std::time::Duration = std::time::Duration::from_secs(60);

/// `work` on the blocking pool, within `SOURCE_WORK_BOUND`; `what` names it in the failure.
async fn off_the_runtime<T: Send + 'static>(
    what: &str,
    work: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    match tokio::time::timeout(SOURCE_WORK_BOUND, tokio::task::spawn_blocking(work)).await {
        Err(_) => Err(format!(
            "{what} took more than {} s (is a file of the source on a filesystem that stopped answering?)",
            SOURCE_WORK_BOUND.as_secs()
        )),
        Ok(Err(failure)) => Err(format!("{what} stopped: {failure}")),
        Ok(Ok(result)) => result,
    }
}
