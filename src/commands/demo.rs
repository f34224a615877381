//! `agentprep demo`: agentprep's main job end to end on its embedded default, with no AWS
//! account: prepare the example cost estimator (no role), start the local runtime in this
//! process, ask the seed's question through the AgentCore API with the AWS SDK, stream the
//! answer, say what to do next, and shut everything down.

use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::bounded_http::connections::ConnectionLimits;
use crate::bundle::output_dir::served_deployment;
use crate::cli::DemoArgs;
use crate::example_agent;
use crate::invoke::client::{self, Target};
use crate::invoke::session_store::new_session_id;
use crate::local_runtime::lifecycle::Limits;
use crate::local_runtime::python_env::{self, cache_dir};
use crate::local_runtime::state::{AgentToHost, LocalRuntime, RuntimeOptions};
use crate::output::progress::Progress;
use crate::output::stdout;
use crate::prepare::{self, PrepareOptions, RoleChoice};
use crate::serve_workflow::app;

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    crate::output::event_log::init();
    let progress = Progress::for_stderr();
    let home = cache_dir().join("demo");
    let source = home.join("cost_estimator_agent");
    let deployment = home.join("deployment");
    example_agent::write_cost_estimator(&source)?;

    progress.step("Preparing the example agent `cost_estimator_agent` (no AWS role)");
    let options = PrepareOptions {
        source: source.clone(),
        name: None,
        region: None,
        output_dir: deployment.clone(),
        entrypoint: None,
        protocol: None,
        requirements: None,
        policies: Vec::new(),
        include: Vec::new(),
        role: RoleChoice::None,
        dry_run: false,
        // The demo's deployment directory is agentprep's own, under its cache.
        force: true,
    };
    let report = prepare::run(&options, &progress).await?;
    let python = match &args.python {
        Some(python) => python.clone(),
        None => {
            let (base, _) = python_env::base_interpreter(&report.python, None).await?;
            python_env::ensure_env(&deployment.join("requirements.txt"), &base, &progress).await?
        }
    };

    progress.step("Starting the local AgentCore Runtime");
    let served = served_deployment(&deployment)?;
    let agent = AgentToHost {
        name: served.agent,
        deployment_dir: deployment.clone(),
        python,
        protocol: served.protocol,
    };
    crate::local_runtime::leftovers::clear_and_report();
    let runtime = LocalRuntime::new(
        std::slice::from_ref(&agent),
        &RuntimeOptions {
            region: "us-east-1".into(),
            warm: 1,
            max_sessions: 4,
            limits: Limits {
                idle_timeout: Duration::from_secs(900),
                max_lifetime: Duration::from_secs(
                    crate::agentcore_contract::DEFAULT_MAX_LIFETIME_SECONDS,
                ),
            },
            invocation_limits: Default::default(),
            startup_timeout: Duration::from_secs(60),
            concurrent_starts: crate::local_runtime::start_queue::default_concurrent_starts(),
            log_dir: home.join("logs"),
            worker_env: Vec::new(),
            echo_worker_output: false,
            // The demo's agent is an HTTP agent: no public URL to give it.
            public_endpoint: None,
            telemetry_endpoint: None,
        },
    )?;
    runtime.warm_up();
    runtime.agents[0].wait_warm(Duration::from_secs(60)).await;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let endpoint = format!("http://{}", listener.local_addr()?);
    let arn = runtime.agents[0].arn.clone();
    let (stop, stopped) = watch::channel(false);
    let serving = tokio::spawn(app::serve(
        runtime,
        listener,
        ConnectionLimits::for_this_process(),
        stopped,
    ));
    progress.finish();

    stdout::emit(&format!(
        "Prepared `{}` into `{}` (entrypoint `{}`, streams over SSE).\n\
         Local AgentCore Runtime on {endpoint}: {arn}\n\n> {}\n",
        report.agent,
        deployment.display(),
        report.entrypoint_spec,
        args.prompt
    ))?;
    let target = Target {
        arn: arn.clone(),
        region: "us-east-1".into(),
        endpoint: Some(endpoint.clone()),
        bearer_token: None,
        protocol: crate::server_protocol::Protocol::Http,
    };
    let payload = serde_json::json!({ "prompt": args.prompt })
        .to_string()
        .into_bytes();
    let mut sink = |text: &str| stdout::emit_piece(text);
    let answered = client::invoke(&target, payload, &new_session_id(), &mut sink).await;
    // The answer's last line ended before the runtime stops: its shutdown messages (stderr)
    // would otherwise print on that line.
    if answered
        .as_ref()
        .is_ok_and(|answer| !answer.text.ends_with('\n'))
    {
        stdout::emit("")?;
    }
    let _ = stop.send(true);
    let served = serving.await;
    answered?;
    stdout::emit(
        "\nThat answer streamed from a worker process of the local runtime, through the AgentCore \
         data-plane API (InvokeAgentRuntime) and the AWS SDK for Rust.\n\nNext steps:\n\
         \x20 # Prepare your own agent (add --no-role to skip the IAM role)\n\
         \x20 agentprep prepare --source-dir path/to/your_agent\n\
         \x20 # Run it locally: one worker per session, warm pool, AgentCore's limits\n\
         \x20 agentprep serve --deployment-dir deployment\n\
         \x20 # Talk to it (follow-up turns keep the session)\n\
         \x20 agentprep invoke --local 'How much is a t3.small with 20 GB?'\n\
         \x20 # Deploy with the official CLI: the commands `agentprep prepare` prints",
    )?;
    match served {
        Ok(result) => result,
        Err(join) => Err(anyhow::anyhow!(
            "the local runtime stopped unexpectedly: {join}"
        )),
    }
}
