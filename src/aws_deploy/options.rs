//! What `deploy` is asked to do, after its flags are checked.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::agentcore_contract::{LIFECYCLE_SECONDS, MAX_ENVIRONMENT_VARIABLES};
use crate::error::UserError;
use crate::inbound_auth::authorizer::AuthorizerChoice;
use crate::python::version::PythonVersion;

#[derive(Debug, Clone)]
pub struct DeployOptions {
    pub agent: Option<String>,
    pub deployment_dir: Option<PathBuf>,
    /// Prepare from here first when the deployment directory is missing.
    pub source_dir: Option<PathBuf>,
    pub region: Option<String>,
    pub python: Option<PythonVersion>,
    pub bucket: Option<String>,
    /// `--env KEY=VALUE`, checked.
    pub environment: HashMap<String, String>,
    /// `--unset-env KEY`: variables the runtime has that go.
    pub unset_environment: Vec<String>,
    pub idle_timeout: Option<u64>,
    pub max_lifetime: Option<u64>,
    /// The runtime's JWT authorizer: the recorded one, a new one, or none.
    pub authorizer: AuthorizerChoice,
    /// `--container`: build an image in CodeBuild instead of the code package.
    pub container: bool,
    pub dry_run: bool,
    pub no_wait: bool,
    pub wait_timeout: u64,
}

/// `--env KEY=VALUE` pairs, within AgentCore's limit of 50 variables.
pub fn parse_env(pairs: &[String]) -> Result<HashMap<String, String>, UserError> {
    let mut env = HashMap::new();
    for pair in pairs {
        let (key, value) = pair
            .split_once('=')
            .filter(|(key, _)| !key.is_empty())
            .ok_or_else(|| {
                UserError::usage(format!("`--env {pair}` is not of the form KEY=VALUE"))
                    .with_hint("pass e.g. `--env LOG_LEVEL=debug`")
            })?;
        env.insert(key.to_string(), value.to_string());
    }
    check_environment_size(env.len() + 1)?;
    Ok(env)
}

/// AgentCore's limit on a runtime's environment variables, `AWS_REGION` included.
pub fn check_environment_size(count: usize) -> Result<(), UserError> {
    if count > MAX_ENVIRONMENT_VARIABLES {
        return Err(UserError::usage(format!(
            "the runtime would have {count} environment variables; AgentCore accepts at most {MAX_ENVIRONMENT_VARIABLES}, `AWS_REGION` included"
        ))
        .with_hint("remove some with `--unset-env KEY`"));
    }
    Ok(())
}

/// `--idle-timeout` and `--max-lifetime` within AgentCore's bounds.
pub fn check_lifecycle(idle: Option<u64>, max: Option<u64>) -> Result<(), UserError> {
    for (flag, value) in [("--idle-timeout", idle), ("--max-lifetime", max)] {
        if let Some(value) = value
            && !LIFECYCLE_SECONDS.contains(&value)
        {
            return Err(UserError::usage(format!(
                "`{flag} {value}` is outside AgentCore's {}..{} seconds",
                LIFECYCLE_SECONDS.start(),
                LIFECYCLE_SECONDS.end()
            )));
        }
    }
    if let (Some(idle), Some(max)) = (idle, max)
        && idle > max
    {
        return Err(UserError::usage(
            "the idle timeout cannot be longer than the maximum lifetime",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_pairs_and_lifecycle_are_checked() {
        assert_eq!(
            parse_env(&["A=1".into(), "B=x=y".into()]).unwrap()["B"],
            "x=y"
        );
        assert!(parse_env(&["novalue".into()]).is_err());
        assert!(parse_env(&["=x".into()]).is_err());
        assert!(check_lifecycle(Some(59), None).is_err());
        assert!(check_lifecycle(Some(900), Some(600)).is_err());
        assert!(check_lifecycle(Some(900), Some(28_800)).is_ok());
    }
}
