//! `agentprep serve`: prepared deployments on a local AgentCore Runtime. Its flags turned into
//! the workflow's options, the workflow started (`crate::serve_workflow`, on a runtime of its
//! own: `one_thread`), its report printed once it is ready, then served until Ctrl-C or
//! SIGTERM.

use std::time::Duration;

use crate::cli::ServeArgs;
use crate::commands::authorizer_flags;
use crate::error::UserError;
use crate::inbound_auth::authorizer::FetchedBy;
use crate::output::progress::Progress;
use crate::output::stdout;
use crate::serve_workflow::{self, one_thread, options::ServeOptions};

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    crate::output::event_log::init();
    let open = args.open;
    let options = options(args)?;
    one_thread::run(move || async move {
        let progress = Progress::for_stderr();
        let serving = serve_workflow::start(&options, &progress).await?;
        if let Err(error) = stdout::emit(&serving.report.to_string()) {
            serving.abandon();
            return Err(error.into());
        }
        if open {
            crate::output::browser::open_when_interactive(&serving.report.inspector);
        }
        serving.run().await
    })
    .await
}

fn options(args: ServeArgs) -> Result<ServeOptions, UserError> {
    let authorizer = authorizer_flags::choice(&args.authorizer, FetchedBy::LocalRuntime)?;
    Ok(ServeOptions {
        deployment_dirs: args.deployment_dirs,
        agent_required: false,
        bind: args.bind,
        warm: args.warm,
        max_sessions: args.max_sessions,
        idle_timeout: Duration::from_secs(args.idle_timeout),
        max_lifetime: Duration::from_secs(args.max_lifetime),
        startup_timeout: Duration::from_secs(args.startup_timeout),
        concurrent_starts: args.concurrent_starts.map(|n| n as usize),
        request_timeout: Duration::from_secs(args.request_timeout),
        stream_timeout: Duration::from_secs(args.stream_timeout),
        max_connections: args.max_connections.map(|n| n as usize),
        python: args.python,
        python_version: args.python_version,
        region: args.region,
        log_dir: args.log_dir,
        watch: args.watch,
        source_dir: args.source_dir,
        authorizer,
    })
}
