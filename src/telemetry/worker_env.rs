//! The OpenTelemetry environment a worker starts with, as an AgentCore runtime gives its
//! agent's process one: the SDK (or `opentelemetry-instrument`) exports to `serve`'s receiver
//! with no code or configuration in the agent.
//!
//! Each worker gets its own endpoint, `<receiver>/workers/<number>`, so the receiver knows
//! which worker (and so which session) sent a batch. Variables set in `serve`'s own
//! environment are left alone: a user who exports elsewhere keeps doing so.

/// The receiver's base URL for workers: `http://127.0.0.1:<port>/workers`.
pub fn workers_endpoint(port: u16) -> String {
    format!("http://127.0.0.1:{port}/workers")
}

/// The variables worker `number` of `agent` is started with, leaving out those `is_set` says
/// the user set. `workers_endpoint` is [`workers_endpoint`]'s URL.
pub fn otel_env(
    workers_endpoint: &str,
    agent: &str,
    number: u64,
    is_set: impl Fn(&str) -> bool,
) -> Vec<(String, String)> {
    let variables = [
        // The SDK appends `/v1/traces` and `/v1/logs`.
        (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("{workers_endpoint}/{number}"),
        ),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf".to_string()),
        ("OTEL_SERVICE_NAME", agent.to_string()),
        // The session is not known yet (warm workers): the receiver adds it to each record.
        (
            "OTEL_RESOURCE_ATTRIBUTES",
            format!("service.name={agent},agentprep.worker={number}"),
        ),
        ("OTEL_TRACES_EXPORTER", "otlp".to_string()),
        ("OTEL_LOGS_EXPORTER", "otlp".to_string()),
        // The receiver takes no metrics: without this, `opentelemetry-instrument` would post
        // them and log every refusal.
        ("OTEL_METRICS_EXPORTER", "none".to_string()),
        // Python's `logging` records as OTLP logs, under `opentelemetry-instrument`.
        (
            "OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED",
            "true".to_string(),
        ),
        // Batches leave within 200 ms (the SDK's default is 5 s): spans show while one looks.
        ("OTEL_BSP_SCHEDULE_DELAY", "200".to_string()),
        ("OTEL_BLRP_SCHEDULE_DELAY", "200".to_string()),
    ];
    variables
        .into_iter()
        .filter(|(name, _)| !is_set(name))
        .map(|(name, value)| (name.to_string(), value))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_worker_exports_to_its_own_endpoint_unless_the_user_said_otherwise() {
        let env = otel_env(&workers_endpoint(4318), "my_agent", 3, |_| false);
        let get = |name: &str| {
            env.iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        assert_eq!(
            get("OTEL_EXPORTER_OTLP_ENDPOINT"),
            Some("http://127.0.0.1:4318/workers/3")
        );
        assert_eq!(get("OTEL_EXPORTER_OTLP_PROTOCOL"), Some("http/protobuf"));
        assert_eq!(get("OTEL_SERVICE_NAME"), Some("my_agent"));
        assert_eq!(
            get("OTEL_RESOURCE_ATTRIBUTES"),
            Some("service.name=my_agent,agentprep.worker=3")
        );
        assert_eq!(get("OTEL_BSP_SCHEDULE_DELAY"), Some("200"));
        let users = otel_env(&workers_endpoint(4318), "my_agent", 3, |name| {
            name == "OTEL_EXPORTER_OTLP_ENDPOINT"
        });
        assert!(
            users
                .iter()
                .all(|(key, _)| key != "OTEL_EXPORTER_OTLP_ENDPOINT")
        );
        assert_eq!(users.len(), env.len() - 1);
    }
}
