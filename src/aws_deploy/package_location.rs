//! Where an agent's package lives in S3, laid out as the toolkit lays it out: the state file's
//! `aws.s3_path` is `s3://bucket[/prefix]`, and the object is `[prefix/]<agent>/deployment.zip`.

use crate::aws::region::AwsRegion;
use crate::error::UserError;
use crate::project_state::{ProjectState, STATE_FILE};

/// What the state file records of a deployed `agent`'s place: its region (an error without
/// one: a deployed agent has one) and its package's S3 location, if any. What `status` and
/// `destroy` both start from.
pub fn recorded_place(
    state: &ProjectState,
    agent: &str,
) -> Result<(AwsRegion, Option<PackageLocation>), UserError> {
    let region_name = state.region_of(agent).ok_or_else(|| {
        UserError::failed(format!("`{STATE_FILE}` records no region for `{agent}`"))
    })?;
    let region = AwsRegion::parse(&region_name, STATE_FILE)?;
    let location = match state.s3_path_of(agent) {
        Some(path) => Some(PackageLocation::parse(
            &path,
            &format!("`aws.s3_path` in `{STATE_FILE}`"),
        )?),
        None => None,
    };
    Ok((region, location))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageLocation {
    pub bucket: String,
    /// Without leading, trailing or doubled slashes.
    pub prefix: Option<String>,
}

impl PackageLocation {
    /// `s3://bucket/prefix`, `bucket/prefix` or `bucket`; `what` names where it came from.
    pub fn parse(path: &str, what: &str) -> Result<PackageLocation, UserError> {
        let rest = path.trim().strip_prefix("s3://").unwrap_or(path.trim());
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let valid_bucket = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !valid_bucket {
            return Err(
                UserError::usage(format!("{what} `{path}` does not name an S3 bucket"))
                    .with_hint("write it as `s3://bucket` or `s3://bucket/prefix`"),
            );
        }
        let prefix: Vec<&str> = prefix.split('/').filter(|part| !part.is_empty()).collect();
        Ok(PackageLocation {
            bucket: bucket.to_string(),
            prefix: (!prefix.is_empty()).then(|| prefix.join("/")),
        })
    }

    /// The toolkit's default: its CodeBuild sources bucket of the account and region.
    pub fn default_for(account: &str, region: &str) -> PackageLocation {
        PackageLocation {
            bucket: format!("bedrock-agentcore-codebuild-sources-{account}-{region}"),
            prefix: None,
        }
    }

    /// The package's object key for `agent`.
    pub fn key(&self, agent: &str) -> String {
        match &self.prefix {
            Some(prefix) => format!("{prefix}/{agent}/deployment.zip"),
            None => format!("{agent}/deployment.zip"),
        }
    }

    /// As the state file records it.
    pub fn s3_path(&self) -> String {
        match &self.prefix {
            Some(prefix) => format!("s3://{}/{prefix}", self.bucket),
            None => format!("s3://{}", self.bucket),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_read_as_the_toolkit_writes_them_and_keys_laid_out_as_it_does() {
        let plain = PackageLocation::parse("s3://my-bucket", "`s3_path`").unwrap();
        assert_eq!(plain.key("agent"), "agent/deployment.zip");
        assert_eq!(plain.s3_path(), "s3://my-bucket");
        let prefixed = PackageLocation::parse("s3://my-bucket/team//builds/", "`s3_path`").unwrap();
        assert_eq!(prefixed.key("agent"), "team/builds/agent/deployment.zip");
        assert_eq!(prefixed.s3_path(), "s3://my-bucket/team/builds");
        assert_eq!(
            PackageLocation::parse("my-bucket/p", "`--bucket`").unwrap(),
            PackageLocation {
                bucket: "my-bucket".into(),
                prefix: Some("p".into())
            }
        );
        let error = PackageLocation::parse("s3://My_Bucket", "`s3_path`").unwrap_err();
        assert!(error.to_string().contains("`s3://My_Bucket`"), "{error}");
    }
}
