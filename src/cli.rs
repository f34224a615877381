//! The command line as clap sees it: raw flags only.
//!
//! Each command's `run` validates these into the types the rest of the program uses, so nothing
//! downstream re-checks input (ripgrep's split between raw flags and validated options).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "agentprep",
    version,
    about = "Take a Python AI agent to Amazon Bedrock AgentCore Runtime, and run it locally under the same contract first",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build a deployment directory (sources, `invoke.py`, `requirements.txt`, IAM policies)
    /// and create or update the agent's IAM execution role
    Prepare(PrepareArgs),
}

/// How results are printed on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputFormat {
    /// For people: a summary and the next steps
    #[default]
    Text,
    /// One JSON document, for scripts
    Json,
}

#[derive(Debug, Args)]
pub struct PrepareArgs {
    /// The agent's source: a directory (a Python package or a folder of modules) or one `.py` file
    #[arg(long, value_name = "DIR")]
    pub source_dir: PathBuf,

    /// Agent name (`[a-zA-Z][a-zA-Z0-9_]{0,47}`); defaults to the source directory's name
    #[arg(long)]
    pub name: Option<String>,

    /// AWS region; defaults to `AWS_REGION`, then `AWS_DEFAULT_REGION`, then the profile's region
    #[arg(long)]
    pub region: Option<String>,

    /// Where the deployment directory is written
    #[arg(long, value_name = "DIR", default_value = "deployment")]
    pub output_dir: PathBuf,

    /// The agent's entry when it cannot be found unambiguously: `module:Class.method`,
    /// `module:function` or `module:app` (an existing `BedrockAgentCoreApp`)
    #[arg(long, value_name = "SPEC")]
    pub entrypoint: Option<String>,

    /// Use this requirements file instead of generating one
    #[arg(long, value_name = "FILE")]
    pub requirements: Option<PathBuf>,

    /// Add the IAM statements in this JSON file to the execution policy (repeatable)
    #[arg(long = "policy", value_name = "FILE")]
    pub policies: Vec<PathBuf>,

    /// Use this existing execution role instead of creating one (no IAM calls)
    #[arg(long, value_name = "ARN", conflicts_with = "no_role")]
    pub execution_role: Option<String>,

    /// Make no IAM role, for offline or local use (the policies are still written to `iam/`)
    #[arg(long)]
    pub no_role: bool,

    /// Show what would be done, and change nothing, locally or in AWS
    #[arg(long)]
    pub dry_run: bool,

    /// Replace files in the output directory that agentprep did not write or that were edited
    #[arg(long)]
    pub force: bool,

    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub output: OutputFormat,
}
