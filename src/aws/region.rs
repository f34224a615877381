//! Which AWS region a command works in, and the partition that follows from it.
//!
//! Order as the AWS CLI users know it: the `--region` flag, `AWS_REGION`, `AWS_DEFAULT_REGION`,
//! then the region of the active profile. No instance metadata lookup (slow off EC2) and never a
//! silent default: the seed's tool once built ARNs with `None` in them when no region was set.

use std::fmt;

use aws_config::meta::region::ProvideRegion;
use serde::Serialize;

use crate::error::UserError;

/// A region name checked for shape, with its partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AwsRegion {
    pub name: String,
    pub partition: &'static str,
    /// Where the region came from, for the summary (`--region`, `AWS_REGION`, ...).
    #[serde(skip)]
    pub source: String,
}

impl fmt::Display for AwsRegion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl AwsRegion {
    /// Check a region name's shape (`us-east-1`, `us-gov-west-1`, `cn-north-1`).
    pub fn parse(name: &str, source: &str) -> Result<AwsRegion, UserError> {
        if !looks_like_region(name) {
            return Err(UserError::usage(format!(
                "`{name}` (from {source}) is not an AWS region name"
            ))
            .with_hint("use a region code such as `us-east-1`, `us-west-2` or `eu-central-1`"));
        }
        Ok(AwsRegion {
            name: name.to_string(),
            partition: partition_of(name),
            source: source.into(),
        })
    }
}

/// The partition of a region: the `arn:<partition>:` part of every ARN built in it.
pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("eu-isoe-") {
        "aws-iso-e"
    } else if region.starts_with("us-isof-") {
        "aws-iso-f"
    } else {
        "aws"
    }
}

/// `xx-name-N` or `xx-name-name-N`: lowercase words separated by `-`, ending in a number.
fn looks_like_region(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    parts.len() >= 3
        && parts.len() <= 4
        && parts[..parts.len() - 1]
            .iter()
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|last| !last.is_empty() && last.chars().all(|c| c.is_ascii_digit()))
}

/// The region from the flag, the environment, the project (the region it deploys to, with
/// where that was read: a new-CLI project's target, as its own CLI would deploy there) or the
/// profile; `None` when none is set.
pub async fn resolve(
    flag: Option<&str>,
    project: Option<(String, String)>,
) -> Result<Option<AwsRegion>, UserError> {
    if let Some(name) = flag {
        return AwsRegion::parse(name, "`--region`").map(Some);
    }
    for variable in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
        if let Ok(value) = std::env::var(variable)
            && !value.trim().is_empty()
        {
            return AwsRegion::parse(value.trim(), &format!("`{variable}`")).map(Some);
        }
    }
    if let Some((name, source)) = project {
        return AwsRegion::parse(&name, &source).map(Some);
    }
    let profile_region = aws_config::profile::ProfileFileRegionProvider::builder().build();
    if let Some(region) = ProvideRegion::region(&profile_region).await {
        let profile = std::env::var("AWS_PROFILE").unwrap_or_else(|_| "default".into());
        return AwsRegion::parse(region.as_ref(), &format!("profile `{profile}`")).map(Some);
    }
    Ok(None)
}

/// The region (the project's, as [`resolve`] takes it), or an error that says how
/// to set one.
pub async fn require(
    flag: Option<&str>,
    project: Option<(String, String)>,
    why: &str,
) -> Result<AwsRegion, UserError> {
    resolve(flag, project).await?.ok_or_else(|| {
        UserError::usage(format!("no AWS region is set, and {why}")).with_hint(
            "pass `--region us-east-1` (or the region you deploy to), or set `AWS_REGION`, or \
             `aws configure set region <region>` for your profile",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_follow_the_region() {
        assert_eq!(partition_of("us-east-1"), "aws");
        assert_eq!(partition_of("eu-central-2"), "aws");
        assert_eq!(partition_of("cn-northwest-1"), "aws-cn");
        assert_eq!(partition_of("us-gov-west-1"), "aws-us-gov");
    }

    #[test]
    fn region_shapes() {
        for good in [
            "us-east-1",
            "ap-southeast-4",
            "us-gov-west-1",
            "il-central-1",
        ] {
            assert!(AwsRegion::parse(good, "test").is_ok(), "{good}");
        }
        for bad in [
            "None",
            "",
            "us-east",
            "US-EAST-1",
            "us_east_1",
            "us-east-1a",
            "useast1",
        ] {
            let error = AwsRegion::parse(bad, "`--region`").unwrap_err();
            assert!(error.message.contains("`--region`"), "{}", error.message);
        }
    }
}
