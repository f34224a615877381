//! What `prepare` did (or, with `--dry-run`, would do): one type that prints as a summary for
//! people (`Display`) and as one JSON document for scripts (`Serialize`).

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

use crate::agent::capabilities::{Capabilities, Capability};
use crate::agent::entry::Entry;
use crate::agent::outside_code::TakenCode;
use crate::agent::python_choice::PythonChoice;
use crate::agent::requirements::Requirements;
use crate::agent::source_tree::{Skipped, SourceTree};
use crate::aws::region::AwsRegion;
use crate::bundle::output_dir::{Content, PlannedFile};
use crate::iam::role::{RoleOutcome, RoleSpec, RoleState};
use crate::output::shell_words;
use crate::prepare::plan::{PreparePlan, RolePlan};
use crate::project_state::new_cli_project::{PlannedProjectUpdate, RuntimeChange};
use crate::server_protocol::Protocol;

#[derive(Debug, Serialize)]
pub struct PrepareReport {
    pub agent: String,
    /// Where the agent's name came from (`--name`, the source folder, the entry's class...).
    pub name_origin: String,
    /// The package the source folder is in the deployment (`<output>/<package>/`).
    pub package: String,
    pub source: String,
    pub region: Option<AwsRegion>,
    pub account: Option<String>,
    pub entrypoint: Entry,
    pub entrypoint_spec: String,
    /// The protocol AgentCore serves the agent with.
    pub protocol: Protocol,
    /// Why this entry was chosen.
    pub entry_reason: String,
    pub streams: bool,
    /// What the user should know before deploying (also printed on stderr as it happens).
    pub warnings: Vec<String>,
    pub requirements: Requirements,
    /// The agent's own code taken from outside the source, each folder with why.
    pub outside_code: Vec<TakenCode>,
    /// The Python the project asks for, which `serve` and `deploy` follow.
    pub python: PythonChoice,
    /// Short names of the AgentCore/AWS services the policy grants beyond the essentials.
    pub capabilities: Vec<Capability>,
    pub capability_evidence: Capabilities,
    pub role: RoleReport,
    pub files: FilesReport,
    /// Files replaced because of `--force`.
    pub replaced_conflicts: Vec<String>,
    /// Files not written by agentprep that were replaced because git keeps them unchanged.
    pub replaced_committed: Vec<String>,
    /// Python caches (`__pycache__/`) replaced.
    pub replaced_caches: usize,
    pub dry_run: bool,
    pub output_dir: PathBuf,
    /// The runtime entry of the new AgentCore CLI's project the agent is in, written (or, for a
    /// dry run, to be written) into `agentcore/agentcore.json`.
    pub new_cli_project: Option<PlannedProjectUpdate>,
    /// Commands to run next, filled by [`PrepareReport::with_next_steps`].
    pub next_steps: Vec<NextStep>,
}

/// Who owns the execution role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoleMode {
    /// agentprep creates or updates `AgentCoreRole-<agent>`.
    Managed,
    /// `--execution-role ARN`: used as it is.
    Given,
    /// `--no-role`: none.
    None,
}

/// The execution role: what it is and what was (or would be) done to it.
#[derive(Debug, Serialize)]
pub struct RoleReport {
    pub mode: RoleMode,
    pub name: Option<String>,
    pub arn: Option<String>,
    pub policy_name: Option<String>,
    /// Done: `created`, `trust policy updated`, ... Empty when the role was already right.
    pub changes: Vec<String>,
    /// With `--dry-run`: what would be done.
    pub planned: Vec<String>,
}

impl RoleReport {
    /// The role as `plan` leaves it: what would change, before `apply`.
    pub fn of_plan(plan: &PreparePlan) -> Self {
        match &plan.role {
            RolePlan::Managed { state, .. } => RoleReport::planned(&plan.role_spec, state),
            RolePlan::Given(arn) => RoleReport::given(arn),
            RolePlan::None => RoleReport::none(&plan.role_spec.name, &plan.role_spec.policy_name),
        }
    }

    pub fn given(arn: &str) -> Self {
        RoleReport {
            mode: RoleMode::Given,
            name: None,
            arn: Some(arn.into()),
            policy_name: None,
            changes: Vec::new(),
            planned: Vec::new(),
        }
    }

    pub fn none(role_name: &str, policy_name: &str) -> Self {
        RoleReport {
            mode: RoleMode::None,
            name: Some(role_name.into()),
            arn: None,
            policy_name: Some(policy_name.into()),
            changes: Vec::new(),
            planned: Vec::new(),
        }
    }

    pub fn planned(spec: &RoleSpec, state: &RoleState) -> Self {
        RoleReport {
            mode: RoleMode::Managed,
            name: Some(spec.name.clone()),
            arn: Some(state.arn.clone()),
            policy_name: Some(spec.policy_name.clone()),
            changes: Vec::new(),
            planned: state.planned_changes(spec),
        }
    }

    pub fn applied(spec: &RoleSpec, outcome: &RoleOutcome) -> Self {
        RoleReport {
            mode: RoleMode::Managed,
            name: Some(spec.name.clone()),
            arn: Some(outcome.arn.clone()),
            policy_name: Some(spec.policy_name.clone()),
            changes: outcome.changes().into_iter().map(String::from).collect(),
            planned: Vec::new(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct FilesReport {
    pub copied: usize,
    pub copied_bytes: u64,
    pub generated: Vec<String>,
    pub skipped: Vec<Skipped>,
    /// Every file of the deployment directory, relative to it.
    pub all: Vec<String>,
}

impl FilesReport {
    pub fn new(tree: &SourceTree, planned: &[PlannedFile]) -> Self {
        let path_of = |file: &PlannedFile| file.relative.to_string_lossy().replace('\\', "/");
        FilesReport {
            copied: tree.files.len(),
            copied_bytes: tree.total_bytes(),
            generated: planned
                .iter()
                .filter(|file| matches!(file.content, Content::Generated(_)))
                .map(path_of)
                .collect(),
            skipped: tree.skipped.clone(),
            all: planned.iter().map(path_of).collect(),
        }
    }
}

/// A command for the user to run next, with what it is for.
#[derive(Debug, Serialize)]
pub struct NextStep {
    pub purpose: String,
    pub argv: Vec<String>,
    /// `argv` quoted for a POSIX shell, on one line.
    pub command: String,
}

impl NextStep {
    fn new(purpose: &str, argv: Vec<String>) -> Self {
        NextStep {
            purpose: purpose.into(),
            command: shell_words::join(&argv),
            argv,
        }
    }
}

impl PrepareReport {
    /// The report of `plan`, with what was done to the role (or, for a dry run, what would be).
    pub fn of(plan: PreparePlan, role: RoleReport) -> Self {
        let analysis = plan.analysis;
        let conflicts = plan.conflicts;
        let entry = analysis.chosen.entry;
        PrepareReport {
            agent: analysis.agent.to_string(),
            name_origin: analysis.name_origin,
            package: analysis.package.name,
            source: plan.options.source.display().to_string(),
            region: plan.region,
            account: plan.account,
            entrypoint_spec: entry.spec(),
            protocol: analysis.chosen.protocol,
            streams: entry.streams(),
            entrypoint: entry,
            entry_reason: analysis.chosen.reason,
            warnings: analysis.warnings,
            requirements: analysis.requirements,
            outside_code: analysis.outside_code,
            python: analysis.python,
            capabilities: analysis.uses.used(),
            capability_evidence: analysis.uses,
            role,
            files: FilesReport::new(&analysis.tree, &plan.files),
            replaced_committed: conflicts.committed,
            replaced_caches: conflicts.caches.len(),
            replaced_conflicts: if plan.options.force {
                conflicts
                    .foreign
                    .into_iter()
                    .chain(conflicts.edited)
                    .collect()
            } else {
                Vec::new()
            },
            dry_run: plan.options.dry_run,
            output_dir: plan.options.output_dir,
            new_cli_project: plan.new_cli_project,
            next_steps: Vec::new(),
        }
        .with_next_steps()
    }

    /// Add the next steps: the local runtime, `agentprep deploy`, then the official CLI's
    /// configure, deploy and invoke.
    pub fn with_next_steps(mut self) -> Self {
        self.next_steps = self.steps();
        self
    }

    fn steps(&self) -> Vec<NextStep> {
        let dir = self
            .output_dir
            .to_string_lossy()
            .trim_end_matches('/')
            .to_string();
        let mut configure: Vec<String> = ["agentcore", "configure", "--entrypoint"]
            .map(String::from)
            .into();
        configure.push(format!("{dir}/invoke.py"));
        configure.extend(["--name".into(), self.agent.clone()]);
        if let Some(arn) = &self.role.arn {
            configure.extend(["--execution-role".into(), arn.clone()]);
        }
        if self.protocol != Protocol::Http {
            configure.extend(["--protocol".into(), self.protocol.name().into()]);
        }
        configure.extend([
            "--requirements-file".into(),
            format!("{dir}/requirements.txt"),
            "--non-interactive".into(),
            "--deployment-type".into(),
            "direct_code_deploy".into(),
            "--disable-memory".into(),
        ]);
        if let Some(region) = &self.region {
            configure.extend(["--region".into(), region.name.clone()]);
        }
        let sample = if self.agent.contains("cost") {
            "I would like to prepare small EC2 for ssh. How much does it cost?"
        } else {
            "Hello"
        };
        let dir_arg = self.output_dir.to_string_lossy().into_owned();
        let (ask, local_invoke) = match self.protocol {
            Protocol::Mcp => (
                "List its tools (in another terminal)",
                vec![
                    "agentprep".into(),
                    "invoke".into(),
                    "--local".into(),
                    "--mcp".into(),
                ],
            ),
            _ => (
                "Ask it something (in another terminal)",
                vec![
                    "agentprep".into(),
                    "invoke".into(),
                    "--local".into(),
                    sample.into(),
                ],
            ),
        };
        let mut steps = vec![
            NextStep::new(
                "Try it on the local AgentCore Runtime",
                vec![
                    "agentprep".into(),
                    "serve".into(),
                    "--deployment-dir".into(),
                    dir_arg,
                ],
            ),
            NextStep::new(ask, local_invoke),
            NextStep::new(
                "Deploy it to AgentCore Runtime (then `agentprep invoke`, `status`, `destroy`)",
                vec![
                    "agentprep".into(),
                    "deploy".into(),
                    "--deployment-dir".into(),
                    self.output_dir.to_string_lossy().into_owned(),
                ],
            ),
            NextStep::new(
                "Or with the official AgentCore CLI: configure it for this deployment",
                configure,
            ),
            NextStep::new(
                "Deploy with the official CLI",
                vec!["agentcore".into(), "deploy".into()],
            ),
        ];
        if self.protocol == Protocol::Http {
            steps.push(NextStep::new(
                "Invoke it with the official CLI",
                vec![
                    "agentcore".into(),
                    "invoke".into(),
                    serde_json::json!({"prompt": sample}).to_string(),
                ],
            ));
        }
        if let Some(project) = &self.new_cli_project {
            steps.extend(self.new_cli_steps(project, sample));
        }
        steps
    }

    /// The new AgentCore CLI's commands for the project whose runtime now runs the deployment,
    /// from the project's folder (the new CLI finds its project from the working directory).
    fn new_cli_steps(&self, project: &PlannedProjectUpdate, sample: &str) -> Vec<NextStep> {
        let runtime = project.runtime.clone();
        let mut steps = Vec::new();
        let root = project
            .file
            .parent()
            .and_then(std::path::Path::parent)
            .map(std::path::Path::to_path_buf);
        let here = std::env::current_dir()
            .ok()
            .and_then(|dir| dir.canonicalize().ok());
        if let Some(root) = root
            && !here
                .is_some_and(|here| root.canonicalize().is_ok_and(|root| here.starts_with(root)))
        {
            steps.push(NextStep::new(
                "With the new AgentCore CLI: go to its project",
                vec!["cd".into(), root.display().to_string()],
            ));
        }
        steps.push(NextStep::new(
            &format!(
                "With the new AgentCore CLI (its runtime `{runtime}` runs `{}`): its local dev server",
                project.code_location
            ),
            vec![
                "agentcore".into(),
                "dev".into(),
                "--runtime".into(),
                runtime.clone(),
            ],
        ));
        steps.push(NextStep::new(
            "Deploy the project with the new CLI (CDK)",
            vec!["agentcore".into(), "deploy".into()],
        ));
        if self.protocol == Protocol::Http {
            steps.push(NextStep::new(
                "Invoke it with the new CLI",
                vec![
                    "agentcore".into(),
                    "invoke".into(),
                    "--runtime".into(),
                    runtime,
                    sample.into(),
                ],
            ));
        }
        steps
    }
}

fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

impl fmt::Display for PrepareReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.dry_run {
            "Would prepare"
        } else {
            "Prepared"
        };
        writeln!(f, "{verb} `{}` for AgentCore Runtime", self.agent)?;
        let row = |f: &mut fmt::Formatter<'_>, label: &str, value: String| {
            writeln!(f, "  {label:<13}{value}")
        };
        row(
            f,
            "name",
            format!("{} (from {})", self.agent, self.name_origin),
        )?;
        row(
            f,
            "source",
            format!(
                "{} ({} file{}, {}; {} skipped)",
                self.source,
                self.files.copied,
                if self.files.copied == 1 { "" } else { "s" },
                human_bytes(self.files.copied_bytes),
                self.files.skipped.len()
            ),
        )?;
        for taken in &self.outside_code {
            row(
                f,
                "outside",
                format!(
                    "{} from `{}` ({} file{}, {}): {}",
                    taken.entries.join(", "),
                    taken.from.display(),
                    taken.file_count,
                    if taken.file_count == 1 { "" } else { "s" },
                    human_bytes(taken.bytes),
                    taken.reason
                ),
            )?;
        }
        let streaming = if self.streams { ", streams (SSE)" } else { "" };
        row(
            f,
            "entrypoint",
            format!("{}{streaming}", self.entrypoint_spec),
        )?;
        row(f, "", format!("({})", self.entry_reason))?;
        if let Some(handler) = self.entrypoint.websocket() {
            row(
                f,
                "websocket",
                format!("`{handler}` at `/ws` (`agentprep invoke --ws` talks to it)"),
            )?;
        }
        if self.protocol != Protocol::Http {
            row(
                f,
                "protocol",
                format!(
                    "{} (served on port {} at `{}`, as AgentCore expects)",
                    self.protocol,
                    self.protocol.container_port(),
                    self.protocol.invocation_path()
                ),
            )?;
        }
        let names = self.requirements.names();
        let pinned = match &self.requirements.pinned_by {
            Some(lock) => format!(
                ", {} pinned by `{}`",
                self.requirements.pinned,
                lock.display()
            ),
            None => String::new(),
        };
        row(
            f,
            "requirements",
            format!(
                "{} (from {}{pinned})",
                names.join(", "),
                self.requirements.origin.describe()
            ),
        )?;
        row(f, "python", self.python.describe())?;
        match &self.region {
            Some(region) => row(
                f,
                "region",
                format!("{} (from {})", region.name, region.source),
            )?,
            None => row(
                f,
                "region",
                "not set: the IAM documents use `${AWS::Region}`".into(),
            )?,
        }
        if let Some(account) = &self.account {
            row(f, "account", account.clone())?;
        }
        let role = match (self.role.mode, &self.role.arn) {
            (RoleMode::None, _) => {
                "none (`--no-role`); the policies are in the output's `iam/` folder".to_string()
            }
            (RoleMode::Given, Some(arn)) => format!("{arn} (given, not changed)"),
            (_, Some(arn)) if self.dry_run && self.role.planned.is_empty() => {
                format!("{arn} (up to date)")
            }
            (_, Some(arn)) if self.dry_run => {
                format!("{arn} (would {})", self.role.planned.join("; "))
            }
            (_, Some(arn)) if self.role.changes.is_empty() => format!("{arn} (up to date)"),
            (_, Some(arn)) => format!("{arn} ({})", self.role.changes.join(", ")),
            _ => "none".into(),
        };
        row(f, "role", role)?;
        let mut granted = vec!["runtime essentials"];
        granted.extend(
            self.capabilities
                .iter()
                .map(|capability| capability.label()),
        );
        row(f, "policy", granted.join(" + "))?;
        let dir = self.output_dir.display();
        let written = if self.dry_run {
            "would be written"
        } else {
            "written"
        };
        row(
            f,
            "output",
            format!(
                "{dir}/ {written}: invoke.py, requirements.txt, {}iam/trust-policy.json, iam/execution-policy.json, {}/{}",
                if self.new_cli_project.is_some() {
                    "pyproject.toml (the new CLI's), "
                } else {
                    ""
                },
                self.package,
                self.outside_code
                    .iter()
                    .flat_map(|taken| &taken.entries)
                    .map(|entry| format!(", {entry}"))
                    .collect::<String>()
            ),
        )?;
        if let Some(project) = &self.new_cli_project {
            let file = project.file.display();
            let runtime = &project.runtime;
            let location = &project.code_location;
            let would = if self.dry_run { "would be " } else { "" };
            let change = match &project.change {
                RuntimeChange::Added => {
                    format!("runtime `{runtime}` {would}added, runs `{location}`")
                }
                RuntimeChange::Updated(fields) => format!(
                    "runtime `{runtime}` {would}updated ({}), runs `{location}`",
                    fields.join(", ")
                ),
                RuntimeChange::Unchanged => {
                    format!("runtime `{runtime}` already runs `{location}`")
                }
            };
            row(f, "new CLI", format!("`{file}`: {change}"))?;
        }
        if !self.replaced_conflicts.is_empty() {
            row(
                f,
                "replaced",
                format!(
                    "{} file(s) because of `--force`:",
                    self.replaced_conflicts.len()
                ),
            )?;
            for path in &self.replaced_conflicts {
                row(f, "", format!("`{path}`"))?;
            }
        }
        if !self.replaced_committed.is_empty() {
            row(
                f,
                "replaced",
                format!(
                    "{} file(s) committed to git and unchanged (`git checkout` restores them):",
                    self.replaced_committed.len()
                ),
            )?;
            for path in &self.replaced_committed {
                row(f, "", format!("`{path}`"))?;
            }
        }
        let warnings: Vec<&String> = self
            .warnings
            .iter()
            .chain(&self.requirements.warnings)
            .collect();
        if !warnings.is_empty() {
            writeln!(f, "\nWarnings:")?;
            for warning in warnings {
                writeln!(f, "  - {warning}")?;
            }
        }

        if !self.files.skipped.is_empty() {
            writeln!(f, "\nLeft out of the deployment:")?;
            let mut by_reason: BTreeMap<String, Vec<&str>> = BTreeMap::new();
            for skipped in &self.files.skipped {
                by_reason
                    .entry(skipped.reason.describe())
                    .or_default()
                    .push(&skipped.path);
            }
            for (reason, paths) in by_reason {
                let shown: Vec<String> = paths.iter().take(8).map(|p| format!("`{p}`")).collect();
                let more = if paths.len() > 8 {
                    format!(" and {} more", paths.len() - 8)
                } else {
                    String::new()
                };
                writeln!(f, "  {reason}: {}{more}", shown.join(", "))?;
            }
        }

        writeln!(f, "\nNext steps:")?;
        for step in &self.next_steps {
            writeln!(f, "  # {}", step.purpose)?;
            writeln!(f, "  {}", shell_words::join_multiline(&step.argv))?;
        }
        Ok(())
    }
}
