//! The command line as clap sees it: raw flags only.
//!
//! Each command's `run` validates these into the types the rest of the program uses, so nothing
//! downstream re-checks input (ripgrep's split between raw flags and validated options).

use crate::agentcore_contract::{
    DEFAULT_IDLE_TIMEOUT_SECONDS, DEFAULT_MAX_LIFETIME_SECONDS, STREAMING_INVOCATION_SECONDS,
    SYNC_INVOCATION_SECONDS,
};
use std::path::PathBuf;

use crate::python::version::PythonVersion;
use crate::server_protocol::Protocol;
use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "agentprep",
    version = env!("AGENTPREP_VERSION"),
    about = "Take a Python AI agent to Amazon Bedrock AgentCore Runtime, and run it locally under the same contract first",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

impl Command {
    /// Whether the command was asked for one JSON document on stdout (`--output json`): its
    /// failure is then a JSON document too.
    pub fn wants_json(&self) -> bool {
        let format = match self {
            Command::Prepare(args) => args.output,
            Command::Invoke(args) => args.output,
            Command::Deploy(args) => args.output,
            Command::Status(args) => args.output,
            Command::StopSession(args) => args.output,
            Command::Logs(args) => args.output,
            Command::Traces(args) => args.output,
            _ => OutputFormat::Text,
        };
        format == OutputFormat::Json
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build a deployment directory (sources, `invoke.py`, `requirements.txt`, IAM policies)
    /// and create or update the agent's IAM execution role
    Prepare(PrepareArgs),
    /// Run prepared deployments on a local AgentCore Runtime: AWS's data-plane API on
    /// loopback, one worker process per runtime session
    Serve(ServeArgs),
    /// Invoke an agent on the local runtime or on AWS and print its answer as it streams
    Invoke(InvokeArgs),
    /// Deploy to AgentCore Runtime on AWS: package for linux/arm64, upload, create or update
    /// the runtime, wait until it is READY
    Deploy(DeployArgs),
    /// Show the deployed agent: local state, the runtime, its role and its package, and drift
    Status(StatusArgs),
    /// Delete the agent's runtime, its package and (when agentprep created it) its role
    Destroy(DestroyArgs),
    /// End a runtime session (StopRuntimeSession): the kept one by default, locally or on AWS
    StopSession(StopSessionArgs),
    /// Print a deployed agent's logs (CloudWatch Logs), or the local runtime's session logs
    Logs(LogsArgs),
    /// Print the OpenTelemetry spans the local runtime's agents exported, per session, as a
    /// tree per trace
    Traces(TracesArgs),
    /// Print a shell completion script: `agentprep completions bash > ~/.local/share/bash-completion/completions/agentprep`
    Completions(CompletionsArgs),
    /// Zip a directory the way `deploy` packages (deterministic, compressed on all cores); for
    /// the packaging benchmark
    #[command(hide = true)]
    Archive(ArchiveArgs),
    /// Prepare the example agent, run it on the local runtime, ask it the seed's question and
    /// print the streamed answer (no AWS account needed)
    Demo(DemoArgs),
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

    /// The protocol AgentCore serves the agent with (`http`, `mcp`, `a2a`, `agui`); found in
    /// the source when left out (an MCP server is deployed as one)
    #[arg(long, value_name = "PROTOCOL", value_parser = parse_protocol)]
    pub protocol: Option<Protocol>,

    /// Use this requirements file instead of generating one
    #[arg(long, value_name = "FILE")]
    pub requirements: Option<PathBuf>,

    /// Add the IAM statements in this JSON file to the execution policy (repeatable)
    #[arg(long = "policy", value_name = "FILE")]
    pub policies: Vec<PathBuf>,

    /// Ship files this `.gitignore`-style pattern (relative to the source) matches although
    /// the secret-file policy or an ignore file leaves them out (repeatable; each is warned about)
    #[arg(long = "include", value_name = "PATTERN")]
    pub include: Vec<String>,

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

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// A deployment directory made by `prepare`, or a new AgentCore CLI project (the folder
    /// holding `agentcore/agentcore.json`: its prepared runtimes) (repeatable: one runtime
    /// hosts several agents); default: the project the current directory is in, else
    /// `deployment`
    #[arg(long = "deployment-dir", value_name = "DIR")]
    pub deployment_dirs: Vec<PathBuf>,

    /// Address to listen on; loopback unless you choose otherwise
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub bind: String,

    /// Workers started ahead per agent, so a new session does not wait for Python to start
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub warm: usize,

    /// Most sessions alive at once; past it new sessions get ThrottlingException (429)
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub max_sessions: usize,

    /// Seconds without requests after which a session's worker is stopped (unless it reports
    /// `HealthyBusy`)
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_IDLE_TIMEOUT_SECONDS)]
    pub idle_timeout: u64,

    /// Seconds after which a session's worker is stopped whatever it is doing
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_MAX_LIFETIME_SECONDS)]
    pub max_lifetime: u64,

    /// Seconds a new worker has to answer `/ping`
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=604_800), default_value_t = 60)]
    pub startup_timeout: u64,

    /// Most workers starting at once, across every agent served (default: one per core); the
    /// others wait their turn, and each one's start limit counts from its own start
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub concurrent_starts: Option<u64>,

    /// Seconds an invocation may take to start answering before its worker is taken as hung
    /// and replaced (AgentCore: 15 minutes)
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=604_800), default_value_t = SYNC_INVOCATION_SECONDS)]
    pub request_timeout: u64,

    /// Seconds a streamed answer may last (AgentCore: 60 minutes)
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=604_800), default_value_t = STREAMING_INVOCATION_SECONDS)]
    pub stream_timeout: u64,

    /// Client connections served at once; past it a new client gets `ThrottlingException`
    /// (default: what the open-file limit leaves room for, at most 1024)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=65_536))]
    pub max_connections: Option<u64>,

    /// Run workers with this Python, whose environment already holds the requirements, instead
    /// of building a virtualenv from `requirements.txt`
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,

    /// Build the agents' environments with this Python version instead of the one each
    /// deployment asks for (its `.python-version`, `requires-python`, ...)
    #[arg(long, value_name = "X.Y", conflicts_with = "python")]
    pub python_version: Option<PythonVersion>,

    /// Region shown in the local runtime ARNs and passed to the agents as `AWS_REGION`;
    /// defaults to the configured region, else `us-east-1`
    #[arg(long)]
    pub region: Option<String>,

    /// Where each session's log file is written
    #[arg(long, value_name = "DIR", default_value = ".agentprep/logs")]
    pub log_dir: PathBuf,

    /// Reload on every saved change to the agent's source: prepare it again, start the new
    /// code, and switch sessions to it (the previous code serves until the new one has started)
    #[arg(long)]
    pub watch: bool,

    /// The source `--watch` follows; defaults to the one `prepare` recorded in the deployment
    #[arg(long, value_name = "DIR", requires = "watch")]
    pub source_dir: Option<PathBuf>,

    /// Open the inspector page in the default browser (only when stdout is a terminal)
    #[arg(long)]
    pub open: bool,

    /// The agents' JWT authorizer (default: each agent's in `.bedrock_agentcore.yaml`)
    #[command(flatten)]
    pub authorizer: AuthorizerArgs,
}

/// A JWT authorizer (`customJWTAuthorizer`) on the command line: callers then present an OAuth
/// bearer token from this issuer instead of signing with SigV4.
#[derive(Debug, Args)]
pub struct AuthorizerArgs {
    /// Take OAuth bearer tokens from this OpenID issuer instead of SigV4 callers: its discovery
    /// URL (`https://.../.well-known/openid-configuration`; for Cognito
    /// `https://cognito-idp.<region>.amazonaws.com/<user pool id>/.well-known/openid-configuration`)
    #[arg(long, value_name = "URL", conflicts_with = "no_authorizer")]
    pub authorizer_discovery_url: Option<String>,

    /// An audience a token's `aud` may name (repeatable)
    #[arg(long = "allowed-audience", value_name = "AUD")]
    pub allowed_audience: Vec<String>,

    /// A client a token's `client_id` may name, as Cognito's access tokens carry it
    /// (repeatable)
    #[arg(long = "allowed-client", value_name = "CLIENT_ID")]
    pub allowed_clients: Vec<String>,

    /// A scope of which a token must hold one (repeatable)
    #[arg(long = "allowed-scope", value_name = "SCOPE")]
    pub allowed_scopes: Vec<String>,

    /// A rule on a claim of the token (repeatable): `NAME=VALUE`, `NAME:contains=VALUE` (a list
    /// claim holding it), `NAME:contains-any=V1,V2`
    #[arg(long = "custom-claim", value_name = "RULE")]
    pub custom_claims: Vec<String>,

    /// No JWT authorizer, SigV4 callers: `deploy` removes the recorded one, `serve` ignores it
    #[arg(long)]
    pub no_authorizer: bool,
}

#[derive(Debug, Args)]
pub struct InvokeArgs {
    #[command(flatten)]
    pub target: RuntimeTarget,

    /// The payload: JSON, or plain text sent as `{"prompt": "<text>"}`; `-` reads it from stdin.
    /// Not needed for an MCP server (its tools are listed)
    pub payload: Option<String>,

    /// Read the payload from this file (for payloads too long for a command line)
    #[arg(long, value_name = "PATH", conflicts_with = "payload")]
    pub payload_file: Option<std::path::PathBuf>,

    /// Continue this runtime session
    #[arg(long, value_name = "ID", conflicts_with = "new_session")]
    pub session_id: Option<String>,

    /// Start a new runtime session instead of continuing the last one
    #[arg(long)]
    pub new_session: bool,

    /// Talk MCP to an MCP server: the handshake, then METHOD (`tools/list` when left out) with
    /// `--args` as its params. Implied for an MCP server when no payload is given
    #[arg(long, value_name = "METHOD", num_args = 0..=1, default_missing_value = "tools/list", conflicts_with_all = ["payload", "payload_file", "mcp_call"])]
    pub mcp: Option<String>,

    /// Call this tool of an MCP server, with `--args` as its arguments
    #[arg(long, value_name = "TOOL", conflicts_with_all = ["payload", "payload_file"])]
    pub mcp_call: Option<String>,

    /// JSON arguments for `--mcp-call` (default `{}`), or params for `--mcp METHOD`
    #[arg(long, value_name = "JSON")]
    pub args: Option<String>,

    /// Open a WebSocket to the agent's `/ws` instead: send the payload as one message (or each
    /// line of stdin for `-`), print what comes back until the agent closes or `--timeout`
    #[arg(long, conflicts_with_all = ["mcp", "mcp_call"])]
    pub ws: bool,

    /// With `--ws`: seconds to wait for the agent before closing the socket
    #[arg(long, value_name = "SECONDS", default_value_t = 60, requires = "ws")]
    pub timeout: u64,

    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

/// Which runtime a command talks to: the recorded deployed one, or a local one.
#[derive(Debug, Args)]
pub struct RuntimeTarget {
    /// The agent (name or ARN); defaults to the only or first one
    #[arg(long)]
    pub agent: Option<String>,

    /// The local runtime started by `agentprep serve`
    #[arg(long, conflicts_with = "endpoint")]
    pub local: bool,

    /// The AgentCore data-plane API at this URL (e.g. a local runtime on another port)
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,

    /// For a runtime with a JWT authorizer (deployed or local): send this OAuth bearer token
    /// instead of signing with AWS credentials (none are needed then)
    #[arg(
        long,
        value_name = "TOKEN",
        env = "AGENTPREP_BEARER_TOKEN",
        hide_env_values = true
    )]
    pub bearer_token: Option<String>,
}

#[derive(Debug, Args)]
pub struct StopSessionArgs {
    #[command(flatten)]
    pub target: RuntimeTarget,

    /// The session to end; defaults to the one `invoke` keeps for the agent
    #[arg(long, value_name = "ID")]
    pub session_id: Option<String>,

    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// The agent; defaults to the project's default (or, with `--local`, the first served)
    #[arg(long)]
    pub agent: Option<String>,

    /// Only this runtime session's lines
    #[arg(long, value_name = "ID")]
    pub session: Option<String>,

    /// How far back to start (`30s`, `10m`, `2h`, `1d`)
    #[arg(long, value_name = "DURATION", default_value = "1h")]
    pub since: String,

    /// Keep printing new lines until Ctrl-C
    #[arg(long)]
    pub follow: bool,

    /// The local runtime's session logs instead (what `logs` reads anyway when nothing is
    /// deployed here and `agentprep serve` runs in this directory)
    #[arg(long)]
    pub local: bool,

    /// Where `serve` writes session logs (with `--local`); defaults to the running `serve`'s,
    /// else `.agentprep/logs`
    #[arg(long, value_name = "DIR", requires = "local")]
    pub log_dir: Option<PathBuf>,

    /// Output format (JSON: one document, or one per line with `--follow`)
    #[arg(long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

#[derive(Debug, Args)]
pub struct TracesArgs {
    /// Only this agent's sessions
    #[arg(long)]
    pub agent: Option<String>,

    /// Only this runtime session's spans
    #[arg(long, value_name = "ID")]
    pub session: Option<String>,

    /// Keep printing spans as they arrive until Ctrl-C
    #[arg(long)]
    pub follow: bool,

    /// Where `serve` keeps session logs and spans; defaults to the running `serve`'s, else
    /// `.agentprep/logs`
    #[arg(long, value_name = "DIR")]
    pub log_dir: Option<PathBuf>,

    /// Output format (JSON: one array of spans, or one span per line with `--follow`)
    #[arg(long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The question to ask the example agent
    #[arg(
        long,
        default_value = "SSH用に小規模なEC2を用意したいのですが、費用はいくらくらいでしょうか?"
    )]
    pub prompt: String,

    /// Run the agent with this Python, whose environment already holds `bedrock-agentcore`,
    /// instead of building a cached virtualenv
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DeployArgs {
    /// The agent (default: the project's default agent, or the deployment's)
    #[arg(long)]
    pub agent: Option<String>,

    /// The deployment directory made by `prepare`, or a new AgentCore CLI project (the runtime
    /// `--agent` names, or its only one); default: the one recorded, else the project the
    /// current directory is in, else `deployment`
    #[arg(long, value_name = "DIR")]
    pub deployment_dir: Option<PathBuf>,

    /// The agent's source: runs `prepare` first when the deployment directory is missing
    #[arg(long, value_name = "DIR")]
    pub source_dir: Option<PathBuf>,

    /// AWS region (default: the one recorded, then `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile)
    #[arg(long)]
    pub region: Option<String>,

    /// Python version of the runtime, one AgentCore runs (3.10 to 3.14); default: the one the
    /// deployment asks for (`prepare` reads `.python-version`, `requires-python`, ...), else the
    /// one recorded in the state file, else the local `python3`'s
    #[arg(long, value_name = "X.Y")]
    pub python: Option<PythonVersion>,

    /// S3 bucket for the package, `bucket` or `s3://bucket/prefix` (default: the state file's
    /// `aws.s3_path`, else the official CLI's `bedrock-agentcore-codebuild-sources-<account>-<region>`)
    #[arg(long)]
    pub bucket: Option<String>,

    /// Environment variable for the agent (repeatable); the runtime's other variables are
    /// kept, and `AWS_REGION` is always set
    #[arg(long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,

    /// Remove an environment variable the runtime has (repeatable)
    #[arg(long = "unset-env", value_name = "KEY")]
    pub unset_env: Vec<String>,

    /// Session idle timeout in seconds (60-28800)
    #[arg(long, value_name = "SECONDS")]
    pub idle_timeout: Option<u64>,

    /// Session maximum lifetime in seconds (60-28800)
    #[arg(long, value_name = "SECONDS")]
    pub max_lifetime: Option<u64>,

    /// The runtime's JWT authorizer, recorded in `.bedrock_agentcore.yaml` (default: the
    /// recorded one, if any)
    #[command(flatten)]
    pub authorizer: AuthorizerArgs,

    /// Deploy a container image built by CodeBuild (ARM) and pushed to ECR instead of a code
    /// package; chosen by itself when the agent has its own Dockerfile, the package would
    /// exceed 250 MB, or the state file records a container deploy
    #[arg(long)]
    pub container: bool,

    /// Build the package and show what would be done; change nothing in AWS or the state file
    #[arg(long)]
    pub dry_run: bool,

    /// Do not wait for the runtime to be READY
    #[arg(long)]
    pub no_wait: bool,

    /// How long to wait for READY, in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 900)]
    pub wait_timeout: u64,

    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The agent (default: the project's default agent)
    #[arg(long)]
    pub agent: Option<String>,

    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

#[derive(Debug, Args)]
pub struct DestroyArgs {
    /// The agent (default: the project's default agent)
    #[arg(long)]
    pub agent: Option<String>,

    /// Keep the execution role even when agentprep created it
    #[arg(long)]
    pub keep_role: bool,

    /// Show what would be deleted; delete nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Do not ask for confirmation
    #[arg(long)]
    pub yes: bool,

    /// How long to wait for the runtime to be deleted, in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    pub wait_timeout: u64,
}

#[derive(Debug, Args)]
pub struct ArchiveArgs {
    /// The directory to zip
    pub dir: PathBuf,
    /// The zip file to write
    pub out: PathBuf,
}

/// `--protocol`: AgentCore's names, in any case.
fn parse_protocol(text: &str) -> Result<Protocol, String> {
    Protocol::parse(text).ok_or_else(|| format!("`{text}` is not one of http, mcp, a2a, agui"))
}
