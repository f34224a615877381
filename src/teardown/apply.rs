//! Carrying out `destroy`'s plan: the runtime deleted (and waited for), then the package, then
//! a container deploy's repository, project and build role, then the role (inline policies
//! first), then the agent removed from the state file.

use std::time::Duration;

use crate::output::progress::Progress;
use crate::project_state::{STATE_FILE, SaveOutcome};
use crate::teardown::plan::{Fate, TeardownPlan};

/// Delete what the plan says, and return one line per part for the report.
pub async fn apply(
    mut plan: TeardownPlan,
    wait_timeout: Duration,
    progress: &Progress,
) -> anyhow::Result<Vec<String>> {
    let mut lines = Vec::new();
    match &plan.runtime {
        Some((id, Fate::Delete)) => {
            progress.step(format!("Deleting runtime `{id}`"));
            let deleted = plan.runtime_api.delete(id, wait_timeout, progress).await?;
            lines.push(if deleted {
                format!("runtime `{id}`: deleted")
            } else {
                format!("runtime `{id}`: already gone")
            });
        }
        Some((id, _)) => lines.push(format!("runtime `{id}`: already gone")),
        None => lines.push("runtime: none found".into()),
    }
    for (bucket, key, fate) in &plan.packages {
        let line = match fate {
            Fate::Delete => {
                plan.package_store.delete_object(bucket, key).await?;
                "deleted".to_string()
            }
            _ => "already gone".to_string(),
        };
        lines.push(format!("package `s3://{bucket}/{key}`: {line}"));
    }
    if let Some(container) = &plan.container {
        progress.step("Deleting the image's repository, build project and build role");
        container.apply(&plan.role_api).await?;
        lines.extend(container.lines(true));
    }
    if let Some((name, fate)) = &plan.role {
        let line = match fate {
            Fate::Delete => {
                progress.step(format!("Deleting role `{name}`"));
                plan.role_api.delete(name).await?;
                "deleted".to_string()
            }
            other => other.describe(""),
        };
        lines.push(format!("role `{name}`: {line}"));
    }
    let agent = plan.target.agent.clone();
    plan.target.state.remove_agent(&agent);
    lines.push(match plan.target.state.save()? {
        SaveOutcome::Written => format!("`{agent}` removed from `{STATE_FILE}`"),
        SaveOutcome::Removed => {
            format!("`{agent}` removed, and `{STATE_FILE}` with it: it recorded no other agent")
        }
    });
    Ok(lines)
}
