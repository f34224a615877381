//! Each hosted agent's JWT authorizer, as `serve` enforces it: the one `serve
//! --authorizer-discovery-url ...` gives every agent, else the one `.bedrock_agentcore.yaml`
//! records for the agent's name (what `deploy` sent, or the official CLI's), else none
//! (`--no-authorizer` ignores the file's). The issuer's keys are fetched before the banner, so
//! a wrong discovery URL is said at start; an issuer not reachable yet is a warning, and its
//! keys are fetched again on the next request that needs them.

use std::path::Path;
use std::sync::Arc;

use crate::inbound_auth::authorizer::{AuthorizerChoice, FetchedBy, JwtAuthorizer};
use crate::inbound_auth::caller_check::TokenVerifier;
use crate::local_runtime::state::LocalRuntime;
use crate::output::progress::Progress;
use crate::project_state::{ProjectState, STATE_FILE};

/// Give each of `runtime`'s agents its authorizer; the discovery URL of each agent's, in order
/// (for the banner).
pub async fn attach(
    runtime: &LocalRuntime,
    choice: &AuthorizerChoice,
    progress: &Progress,
) -> anyhow::Result<Vec<Option<String>>> {
    let state = match choice {
        AuthorizerChoice::Recorded => Some(ProjectState::load(Path::new(STATE_FILE))?),
        _ => None,
    };
    let mut summaries = Vec::new();
    for agent in &runtime.agents {
        let authorizer = match (choice, &state) {
            (AuthorizerChoice::Given(authorizer), _) => Some(authorizer.clone()),
            (AuthorizerChoice::Recorded, Some(state)) => state
                .agent_setting(&agent.name, &["authorizer_configuration"])
                .map(|value| {
                    JwtAuthorizer::from_state_value(
                        value,
                        &format!(
                            "`agents.{}.authorizer_configuration` in `{STATE_FILE}`",
                            agent.name
                        ),
                        FetchedBy::LocalRuntime,
                    )
                    .map_err(|error| {
                        error.with_hint(
                            "fix the setting, or serve without it with `agentprep serve --no-authorizer`",
                        )
                    })
                })
                .transpose()?,
            _ => None,
        };
        let Some(authorizer) = authorizer else {
            summaries.push(None);
            continue;
        };
        let verifier = TokenVerifier::new(authorizer);
        match verifier.keys.fetch_now().await {
            Ok(count) => progress.step(format!(
                "`{}` takes bearer tokens only: {} ({count} signing key{})",
                agent.name,
                verifier.authorizer.summary(),
                if count == 1 { "" } else { "s" }
            )),
            Err(error) => progress.warn(format!(
                "`{}` has a JWT authorizer whose keys could not be fetched ({error}); requests get `InternalServerException` until they can be",
                agent.name
            )),
        }
        summaries.push(Some(verifier.authorizer.discovery_url.clone()));
        agent.require_tokens(Arc::new(verifier));
    }
    Ok(summaries)
}
