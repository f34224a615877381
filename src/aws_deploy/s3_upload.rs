//! The package's trip to S3: the official CLI's bucket (created when missing, with the
//! expected-owner check on every call), and an upload skipped when the object already holds
//! the same bytes (its SHA-256 is kept in the object's metadata).
//!
//! The calls are methods of [`PackageStore`], which holds what every one of them needs: the
//! client, and the caller, whose account must own the bucket and whose ARN permission hints
//! name.

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};

use crate::aws::errors::{AwsCall, code_of};
use crate::aws::sdk_config::CallerIdentity;
use crate::aws_deploy::package::Package;

/// Metadata key holding the package's SHA-256.
pub const CHECKSUM_METADATA: &str = "agentprep-sha256";

/// The S3 calls for packages, made as one caller.
pub struct PackageStore {
    s3: Client,
    /// Who makes the calls: its account is every bucket's expected owner.
    caller: CallerIdentity,
}

/// The package object as S3 holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredObject {
    Missing,
    /// There, with the checksum agentprep put in its metadata (none when another tool
    /// uploaded it).
    Present {
        checksum: Option<String>,
    },
}

impl StoredObject {
    pub fn is_present(&self) -> bool {
        matches!(self, StoredObject::Present { .. })
    }

    /// Whether the object holds exactly the bytes whose SHA-256 is `checksum`.
    pub fn holds(&self, checksum: &str) -> bool {
        matches!(self, StoredObject::Present { checksum: Some(stored) } if stored == checksum)
    }
}

impl PackageStore {
    /// Path-style addressing when an endpoint override points the SDK at an emulator (which
    /// has no per-bucket host names).
    pub fn new(config: &aws_config::SdkConfig, caller: &CallerIdentity) -> PackageStore {
        let overridden = ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
            .iter()
            .any(|name| std::env::var_os(name).is_some());
        let s3 = Client::from_conf(
            aws_sdk_s3::config::Builder::from(config)
                .force_path_style(overridden)
                .build(),
        );
        PackageStore {
            s3,
            caller: caller.clone(),
        }
    }

    /// Whether the bucket exists, in the caller's account (the expected-owner check: a bucket of
    /// that name in another account is an error, never used).
    pub async fn bucket_exists(&self, bucket: &str) -> anyhow::Result<bool> {
        let call = AwsCall::new("s3:ListBucket", format!("arn:aws:s3:::{bucket}"));
        match self
            .s3
            .head_bucket()
            .bucket(bucket)
            .expected_bucket_owner(&self.caller.account)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(error)
                if matches!(
                    code_of(&error).as_deref(),
                    Some("NotFound" | "NoSuchBucket" | "404")
                ) =>
            {
                Ok(false)
            }
            Err(error)
                if error
                    .raw_response()
                    .is_some_and(|raw| raw.status().as_u16() == 404) =>
            {
                Ok(false)
            }
            Err(error) => Err(self.caller.explain(&call, error)),
        }
    }

    /// Create the bucket in `region`. Returns whether this call created it (`false` when it turned
    /// out to exist already, ours).
    pub async fn create_bucket(&self, bucket: &str, region: &str) -> anyhow::Result<bool> {
        let call = AwsCall::new("s3:CreateBucket", format!("arn:aws:s3:::{bucket}"));
        let mut request = self.s3.create_bucket().bucket(bucket);
        // us-east-1 is the one region where the constraint must be left out.
        if region != "us-east-1" {
            request = request.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(region))
                    .build(),
            );
        }
        match request.send().await {
            Ok(_) => Ok(true),
            Err(error) if code_of(&error).as_deref() == Some("BucketAlreadyOwnedByYou") => {
                Ok(false)
            }
            Err(error) => Err(self.caller.explain(&call, error)),
        }
    }

    /// The package's checksum as S3 has it, if the object exists.
    pub async fn stored_object(&self, bucket: &str, key: &str) -> anyhow::Result<StoredObject> {
        let call = AwsCall::new("s3:GetObject", format!("arn:aws:s3:::{bucket}/{key}"));
        match self
            .s3
            .head_object()
            .bucket(bucket)
            .key(key)
            .expected_bucket_owner(&self.caller.account)
            .send()
            .await
        {
            Ok(output) => Ok(StoredObject::Present {
                checksum: output
                    .metadata()
                    .and_then(|metadata| metadata.get(CHECKSUM_METADATA))
                    .cloned(),
            }),
            Err(error)
                if matches!(
                    code_of(&error).as_deref(),
                    Some("NotFound" | "NoSuchKey" | "404")
                ) =>
            {
                Ok(StoredObject::Missing)
            }
            Err(error)
                if error
                    .raw_response()
                    .is_some_and(|raw| raw.status().as_u16() == 404) =>
            {
                Ok(StoredObject::Missing)
            }
            Err(error) => Err(self.caller.explain(&call, error)),
        }
    }

    /// Upload `package` to `s3://bucket/key`, its checksum in the object's metadata.
    pub async fn upload(&self, bucket: &str, key: &str, package: &Package) -> anyhow::Result<()> {
        self.upload_file(bucket, key, &package.path, &package.sha256)
            .await
    }

    /// Upload the zip at `path`, whose SHA-256 is `sha256`, to `s3://bucket/key`, the
    /// checksum in the object's metadata.
    pub async fn upload_file(
        &self,
        bucket: &str,
        key: &str,
        path: &std::path::Path,
        sha256: &str,
    ) -> anyhow::Result<()> {
        let call = AwsCall::new("s3:PutObject", format!("arn:aws:s3:::{bucket}/{key}"));
        let body = ByteStream::from_path(path).await?;
        self.s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .expected_bucket_owner(&self.caller.account)
            .content_type("application/zip")
            .metadata(CHECKSUM_METADATA, sha256)
            .body(body)
            .send()
            .await
            .map_err(|error| self.caller.explain(&call, error))?;
        Ok(())
    }

    /// Delete `s3://bucket/key`; false when it was not there.
    pub async fn delete_object(&self, bucket: &str, key: &str) -> anyhow::Result<bool> {
        if !self.stored_object(bucket, key).await?.is_present() {
            return Ok(false);
        }
        let call = AwsCall::new("s3:DeleteObject", format!("arn:aws:s3:::{bucket}/{key}"));
        self.s3
            .delete_object()
            .bucket(bucket)
            .key(key)
            .expected_bucket_owner(&self.caller.account)
            .send()
            .await
            .map_err(|error| self.caller.explain(&call, error))?;
        Ok(true)
    }
}
