//! The local runtime's own log: one stream of `tracing` events (sessions stopped, workers that
//! failed to start, shutdown, each line a worker prints), which the coming web UI and traces
//! will read too. On stderr it reads as before: warnings as `warning: ...`, a worker's output as
//! `[<agent> <session>] <line>`, the rest as plain sentences, and nothing else (no timestamps,
//! no targets). `RUST_LOG` chooses what is shown, as in other Rust tools
//! (`RUST_LOG=debug`, `RUST_LOG=agentprep=warn`); the default is `info`.

use std::fmt;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

/// The event field that marks a line of a worker's output, holding the worker's label (its
/// session, shortened); the `agent` field names its agent.
pub const WORKER_FIELD: &str = "worker";

/// Send the runtime's events to stderr. Called once, by the commands that run the runtime.
pub fn init() {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|directives| directives.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(Level::INFO));
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .event_format(PlainFormat);
    // A second call (a test, or a command run twice in one process) keeps the first.
    let _ = tracing_subscriber::registry()
        .with(layer.with_filter(filter))
        .try_init();
}

/// One line per event, written as the user has always read agentprep's stderr.
struct PlainFormat;

impl<S, N> FormatEvent<S, N> for PlainFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _context: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut fields = Fields::default();
        event.record(&mut fields);
        if let Some(worker) = &fields.worker {
            return writeln!(
                writer,
                "[{} {worker}] {}",
                fields.agent.as_deref().unwrap_or("?"),
                fields.message
            );
        }
        let prefix = match *event.metadata().level() {
            Level::ERROR => "error: ",
            Level::WARN => "warning: ",
            Level::INFO => "",
            Level::DEBUG => "debug: ",
            Level::TRACE => "trace: ",
        };
        writeln!(writer, "{prefix}{}", fields.message)
    }
}

#[derive(Default)]
struct Fields {
    message: String,
    worker: Option<String>,
    agent: Option<String>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => self.message = value.to_string(),
            WORKER_FIELD => self.worker = Some(value.to_string()),
            "agent" => self.agent = Some(value.to_string()),
            _ => {}
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        match field.name() {
            "message" => self.message = format!("{value:?}"),
            WORKER_FIELD => self.worker = Some(format!("{value:?}")),
            "agent" => self.agent = Some(format!("{value:?}")),
            _ => {}
        }
    }
}
