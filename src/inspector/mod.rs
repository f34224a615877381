//! The inspector: a web page `serve` itself serves at `/ui`, for watching and driving the local
//! runtime from a browser: its agents, live sessions with their workers and countdowns, a chat
//! that streams answers through the data-plane API, each session's traces and logs, and the
//! reload events of `serve --watch`.
//!
//! The page is four files embedded in the binary (no Node build step, nothing fetched from
//! elsewhere): the HTML, its style, its script, and the module that script imports to read
//! answers as `invoke` does (`answer_text.mjs`, which node's tests import too). It reads the
//! runtime through the small JSON API in [`api`] and talks to agents through the very
//! data-plane API the SDKs use. Because a page shares the port with the data plane, [`guards`]
//! stands in front of it; the data plane applies the same checks to its own requests
//! (`loopback_requests`), and `serve_workflow::app` sends each request to one or the other by
//! its path.

pub mod api;
pub mod guards;
pub mod log_tail;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::local_runtime::state::LocalRuntime;

const INDEX_HTML: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
/// How an answer reads (the rule of `invoke::answer_text`), a module `app.js` imports.
const ANSWER_TEXT_JS: &str = include_str!("assets/answer_text.mjs");
const APP_CSS: &str = include_str!("assets/app.css");

/// The page, its assets and its API: every path under `/ui`.
pub fn router(runtime: Arc<LocalRuntime>) -> Router {
    Router::new()
        .route(
            "/ui",
            get(|| async { asset(INDEX_HTML, "text/html; charset=utf-8") }),
        )
        .route(
            "/ui/",
            get(|| async { asset(INDEX_HTML, "text/html; charset=utf-8") }),
        )
        .route(
            "/ui/app.js",
            get(|| async { asset(APP_JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/ui/answer_text.mjs",
            get(|| async { asset(ANSWER_TEXT_JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/ui/app.css",
            get(|| async { asset(APP_CSS, "text/css; charset=utf-8") }),
        )
        .route("/ui/api/state", get(api::state))
        .route("/ui/api/sessions/{agent}/{session}/logs", get(api::logs))
        .route(
            "/ui/api/sessions/{agent}/{session}/traces",
            get(api::traces),
        )
        .with_state(runtime)
}

fn asset(text: &'static str, content_type: &'static str) -> Response {
    let mut response = text.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
