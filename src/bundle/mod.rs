//! The bundle: the deployment directory `prepare` writes (the agent's package, the generated
//! entrypoint, requirements and IAM documents), written safely, and read back by `serve` and
//! `deploy`.

pub mod deployment_location;
pub mod git_tracked;
pub mod invoke_py;
pub mod new_cli_pyproject;
pub mod output_dir;
