//! The guards in front of the inspector page and its API, because a web page lives on the same
//! port as the data plane: a page on any other site the user visits could otherwise script
//! requests to it (CSRF), or reach it through a name that resolves to 127.0.0.1 (DNS
//! rebinding), read the runtime's sessions and logs, and drive the user's agents.
//!
//! - **Host**: a `Host` that is not a loopback name is refused, whatever address serve listens
//!   on: whoever binds a non-loopback address on purpose gets a data plane other machines can
//!   call, but never the page.
//! - **Origin**: a browser's request from any origin but this server's own loopback origins is
//!   refused.
//! - **Custom header**: a state-changing request from a browser must carry
//!   `X-Agentprep-Inspector: 1`.
//! - **Headers on the page**: a strict Content-Security-Policy (only the page's own scripts,
//!   styles and API), `nosniff`, no referrer, no caching.
//!
//! The checks themselves are `loopback_requests`' (the data plane applies the same ones to its
//! own requests, with `Host` checked only on a loopback bind). Refusals are AWS-shaped
//! (`AccessDeniedException`, 403, JSON `message`) so an SDK that trips one reports why.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};

use crate::local_runtime::api_error::ApiError;
use crate::loopback_requests::{self, Listening};

/// The page's Content-Security-Policy: its own scripts, styles and API, nothing else.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// `page` (the inspector's router: every path under `/ui`) with every request passing the
/// guards first, and every answer, refusals included, carrying the page's headers.
pub fn protect(page: Router, listening: Listening) -> Router {
    page.layer(middleware::from_fn_with_state(listening, guard))
}

async fn guard(State(listening): State<Listening>, request: Request, next: Next) -> Response {
    let refused = loopback_requests::refusal(&listening, true, request.method(), request.headers());
    let mut response = match refused {
        Some(refusal) => ApiError::access_denied(refusal).into_response(),
        None => next.run(request).await,
    };
    add_page_headers(response.headers_mut());
    response
}

/// Whether `path` is the inspector's: the page, its assets and its API.
pub fn is_page_path(path: &str) -> bool {
    path == "/ui" || path.starts_with("/ui/")
}

fn add_page_headers(headers: &mut HeaderMap) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}
