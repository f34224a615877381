//! Integration tests: the real binary, real moto, real Python agents on the real SDK.

mod serve_support;
mod snapshot;
mod support;
mod webdriver;

mod a2a_servers;
mod agents_run;
mod agui_agents;
mod corpus;
mod corpus_runs;
mod demo;
mod deploy;
mod generated_invoke;
mod inspector_browser;
mod invoke;
mod invoke_aws;
mod logs;
mod mcp_servers;
mod output_snapshots;
mod prepare_iam;
mod prepare_local;
mod python_env;
mod serve;
mod serve_watch;
mod shell_and_version;
mod stop_session;
mod traces;
mod websockets;
mod wheel_install;
