//! The new AgentCore CLI's deployment targets, `agentcore/aws-targets.json`: where its project
//! deploys (`[{name, account, region}]`). A project made by `agentcore create` names its region
//! there and nowhere else, so `prepare` and `deploy` take it when no `--region` or `AWS_REGION`
//! says otherwise, as the new CLI itself would deploy.

use std::path::Path;

use serde::Deserialize;

use crate::error::UserError;

/// The targets file, relative to the project folder.
pub const TARGETS_FILE: &str = "agentcore/aws-targets.json";

/// The largest targets file read (a real one is a few hundred bytes).
const MAX_TARGETS_FILE_BYTES: u64 = 1024 * 1024;

#[derive(Debug, Deserialize)]
struct Target {
    name: Option<String>,
    region: Option<String>,
}

/// The region the project at `root` deploys to, with where it was read (for the summary): the
/// target named `default`, else the only one. `None` without the file, or when several targets
/// leave the choice open.
pub fn deploy_region(root: &Path) -> Result<Option<(String, String)>, UserError> {
    let path = root.join(TARGETS_FILE);
    let text = match crate::local_files::bounded_read::read_text(&path, MAX_TARGETS_FILE_BYTES) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return Err(UserError::usage(format!(
                "`{}` cannot be read: {error}",
                path.display()
            )));
        }
    };
    let targets: Vec<Target> = serde_json::from_str(&text).map_err(|error| {
        UserError::usage(format!(
            "`{}` is not a list of deployment targets: {error}",
            path.display()
        ))
        .with_hint("fix the file as the new AgentCore CLI writes it, or pass `--region`")
    })?;
    let chosen = match targets
        .iter()
        .find(|target| target.name.as_deref() == Some("default"))
    {
        Some(target) => target,
        None if targets.len() == 1 => &targets[0],
        None => return Ok(None),
    };
    Ok(chosen.region.clone().map(|region| {
        let name = chosen.name.as_deref().unwrap_or("its only target");
        (region, format!("`{TARGETS_FILE}` (target `{name}`)"))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project_with(targets: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("agentcore")).unwrap();
        std::fs::write(dir.path().join(TARGETS_FILE), targets).unwrap();
        dir
    }

    #[test]
    fn the_default_target_names_the_region_else_the_only_one() {
        let two = project_with(
            r#"[{"name": "prod", "account": "1", "region": "eu-west-1"},
                {"name": "default", "account": "1", "region": "us-west-2"}]"#,
        );
        let (region, source) = deploy_region(two.path()).unwrap().unwrap();
        assert_eq!(region, "us-west-2");
        assert_eq!(source, "`agentcore/aws-targets.json` (target `default`)");
        let one = project_with(r#"[{"name": "dev", "region": "ap-northeast-1"}]"#);
        assert_eq!(
            deploy_region(one.path()).unwrap().unwrap().0,
            "ap-northeast-1"
        );
    }

    #[test]
    fn no_file_or_an_open_choice_names_none_and_a_broken_file_is_named() {
        let none = tempfile::tempdir().unwrap();
        assert_eq!(deploy_region(none.path()).unwrap(), None);
        let open = project_with(
            r#"[{"name": "a", "region": "us-east-1"}, {"name": "b", "region": "eu-west-1"}]"#,
        );
        assert_eq!(deploy_region(open.path()).unwrap(), None);
        let broken = project_with("{not json");
        let error = deploy_region(broken.path()).unwrap_err().to_string();
        assert!(
            error.contains("aws-targets.json` is not a list of deployment targets"),
            "{error}"
        );
    }
}
