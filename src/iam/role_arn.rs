//! A role ARN given with `--execution-role`, checked before anything else is done.

use crate::error::UserError;

/// A role ARN given with `--execution-role`.
#[derive(Debug, Clone)]
pub struct GivenRole {
    pub account: String,
}

pub fn parse_role_arn(arn: &str) -> Result<GivenRole, UserError> {
    let bad = || {
        UserError::usage(format!("`--execution-role {arn}` is not an IAM role ARN"))
            .with_hint("pass an ARN such as `arn:aws:iam::123456789012:role/MyAgentRole`")
    };
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts.as_slice() else {
        return Err(bad());
    };
    let valid = *prefix == "arn"
        && partition.starts_with("aws")
        && *service == "iam"
        && region.is_empty()
        && account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit())
        && resource
            .strip_prefix("role/")
            .is_some_and(|name| !name.is_empty());
    if !valid {
        return Err(bad());
    }
    Ok(GivenRole {
        account: account.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_are_checked() {
        assert_eq!(
            parse_role_arn("arn:aws:iam::123456789012:role/x")
                .unwrap()
                .account,
            "123456789012"
        );
        assert_eq!(
            parse_role_arn("arn:aws-us-gov:iam::123456789012:role/path/x")
                .unwrap()
                .account,
            "123456789012"
        );
        for bad in [
            "arn:aws:iam::123:role/x",
            "arn:aws:s3:::bucket",
            "role/x",
            "arn:aws:iam::123456789012:user/x",
        ] {
            assert!(parse_role_arn(bad).is_err(), "{bad}");
        }
    }
}
