//! Integration tests: the real binary, real moto, real Python agents on the real SDK.

mod support;

mod generated_invoke;
mod prepare_iam;
mod prepare_local;
