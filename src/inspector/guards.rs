//! The guards in front of everything `serve` answers, because a web page now lives on the same
//! port as the data plane: a page on any other site the user visits could otherwise script
//! requests to it (CSRF), or reach it through a name that resolves to 127.0.0.1 (DNS
//! rebinding), and invoke the user's agents with the user's AWS credentials.
//!
//! - **Host**: a `Host` that is not a loopback name is refused on `/ui*` always, and on every
//!   path while serve listens on loopback. Whoever binds a non-loopback address on purpose
//!   gets a data plane other machines can call, but never the page.
//! - **Origin**: a browser's request from any origin but this server's own loopback origins is
//!   refused, WebSocket upgrades included. SDKs and CLIs send no `Origin` and pass.
//! - **Custom header**: a state-changing request from a browser (it has an `Origin` or a
//!   `Sec-Fetch-Site`) must carry `X-Agentprep-Inspector: 1`; a cross-site form cannot set it
//!   and a cross-site script cannot send it without a CORS preflight, which serve never grants.
//! - **Headers on the page**: a strict Content-Security-Policy (only the page's own scripts,
//!   styles and API), `nosniff`, no referrer, no caching.
//!
//! Refusals are AWS-shaped (`AccessDeniedException`, 403, JSON `message`) so an SDK that trips
//! one reports why.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};

use crate::local_runtime::api_error::ApiError;
use crate::loopback_requests::{non_loopback_host, repeated_header};

/// The header a browser request must carry to change state (invoke, stop a session).
pub const INSPECTOR_HEADER: &str = "x-agentprep-inspector";

/// The page's Content-Security-Policy: its own scripts, styles and API, nothing else.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// Where serve listens, as the guards need it: the port makes the allowed origins, and
/// whether the address is loopback decides whether the data plane checks `Host` too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listening {
    pub port: u16,
    pub loopback: bool,
}

impl Listening {
    pub fn at(address: SocketAddr) -> Listening {
        Listening {
            port: address.port(),
            loopback: address.ip().is_loopback(),
        }
    }
}

/// `router` with every request passing the guards first.
pub fn protect(router: Router, listening: Listening) -> Router {
    router.layer(middleware::from_fn_with_state(listening, guard))
}

async fn guard(State(listening): State<Listening>, request: Request, next: Next) -> Response {
    let on_page = is_page_path(request.uri().path());
    let mut response = match refusal(&listening, on_page, request.method(), request.headers()) {
        Some(refusal) => forbidden(refusal),
        None => next.run(request).await,
    };
    // Answered or refused, what is under `/ui` gets the page's headers.
    if on_page {
        add_page_headers(response.headers_mut());
    }
    response
}

/// Why a request is refused, or `None` when it may go on.
fn refusal(
    listening: &Listening,
    on_page: bool,
    method: &Method,
    headers: &HeaderMap,
) -> Option<String> {
    if let Some(repeated) = repeated_header(headers) {
        return Some(repeated);
    }
    if (on_page || listening.loopback)
        && let Some(refusal) = non_loopback_host(headers)
    {
        return Some(refusal);
    }
    let origin = headers.get(header::ORIGIN);
    if let Some(origin) = origin
        && !origin
            .to_str()
            .ok()
            .is_some_and(|origin| is_own_origin(origin, listening.port))
    {
        let shown = String::from_utf8_lossy(origin.as_bytes()).into_owned();
        return Some(format!(
            "requests from the origin `{shown}` are refused: only pages served by this local \
             runtime (http://127.0.0.1:{port}, http://localhost:{port}) may call it",
            port = listening.port
        ));
    }
    let from_browser = origin.is_some() || headers.contains_key("sec-fetch-site");
    let changes_state = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    let marked = headers
        .get(INSPECTOR_HEADER)
        .is_some_and(|value| value.as_bytes() == b"1");
    if from_browser && changes_state && !marked {
        return Some(format!(
            "a {method} from a browser needs the header `X-Agentprep-Inspector: 1`, which only \
             the inspector page sends"
        ));
    }
    None
}

fn is_page_path(path: &str) -> bool {
    path == "/ui" || path.starts_with("/ui/")
}

/// One of this server's own loopback origins (the page's, whichever name the user typed).
fn is_own_origin(origin: &str, port: u16) -> bool {
    let Some(host) = origin.strip_prefix("http://") else {
        return false;
    };
    let with_port = ["127.0.0.1", "localhost", "[::1]"]
        .iter()
        .any(|name| host.eq_ignore_ascii_case(&format!("{name}:{port}")));
    // A browser leaves the default port out of an origin.
    let default_port = port == 80
        && ["127.0.0.1", "localhost", "[::1]"].contains(&host.to_ascii_lowercase().as_str());
    with_port || default_port
}

fn forbidden(message: String) -> Response {
    ApiError {
        status: StatusCode::FORBIDDEN,
        error_type: "AccessDeniedException",
        message,
    }
    .into_response()
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use axum::routing::{get, post};
    use tower::ServiceExt;

    const PORT: u16 = 8080;

    async fn body_text(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    fn app(loopback: bool) -> Router {
        let router = Router::new()
            .route("/ui", get(|| async { "page" }))
            .route("/ui/api/state", get(|| async { "{}" }))
            .route("/runtimes/{arn}/invocations", post(|| async { "answer" }))
            .route("/ping", get(|| async { "pong" }));
        protect(
            router,
            Listening {
                port: PORT,
                loopback,
            },
        )
    }

    async fn send(loopback: bool, method: &str, path: &str, headers: &[(&str, &str)]) -> Response {
        let mut request = Request::builder().method(method).uri(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Body::empty()).unwrap();
        match app(loopback).oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }

    const INVOKE: &str = "/runtimes/agent/invocations?qualifier=DEFAULT";

    #[tokio::test]
    async fn a_foreign_host_is_refused_everywhere_while_serve_listens_on_loopback() {
        for path in ["/ui", "/ui/api/state", "/ping"] {
            let response = send(true, "GET", path, &[("host", "attacker.example:8080")]).await;
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
            assert!(body_text(response).await.contains("not a loopback name"));
        }
    }

    #[tokio::test]
    async fn a_second_host_or_origin_is_refused_whatever_the_first_says() {
        for headers in [
            [("host", "127.0.0.1:8080"), ("host", "attacker.example")],
            [
                ("origin", "http://127.0.0.1:8080"),
                ("origin", "http://attacker.example"),
            ],
        ] {
            let response = send(true, "GET", "/ping", &headers).await;
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{headers:?}");
            assert!(body_text(response).await.contains("more than one"));
        }
    }

    #[tokio::test]
    async fn on_a_non_loopback_bind_a_foreign_host_reaches_the_data_plane_but_never_the_page() {
        let host = [("host", "192.168.1.20:8080")];
        assert_eq!(
            send(false, "GET", "/ping", &host).await.status(),
            StatusCode::OK
        );
        assert_eq!(
            send(false, "GET", "/ui", &host).await.status(),
            StatusCode::FORBIDDEN
        );
    }

    #[tokio::test]
    async fn loopback_names_with_any_port_pass_the_host_check() {
        for host in [
            "127.0.0.1",
            "127.0.0.1:8080",
            "localhost:9",
            "LOCALHOST",
            "[::1]",
            "[::1]:8080",
        ] {
            let response = send(true, "GET", "/ui", &[("host", host)]).await;
            assert_eq!(response.status(), StatusCode::OK, "{host}");
        }
        for host in ["localhost.attacker.example", "127.0.0.1:x", "[::1]x", "::1"] {
            let response = send(true, "GET", "/ui", &[("host", host)]).await;
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{host}");
        }
    }

    #[tokio::test]
    async fn a_foreign_origin_is_refused_even_on_a_read() {
        for origin in [
            "http://attacker.example",
            "http://127.0.0.1:9999",
            "https://127.0.0.1:8080",
            "null",
        ] {
            let headers = [("host", "127.0.0.1:8080"), ("origin", origin)];
            let response = send(true, "GET", "/ui/api/state", &headers).await;
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{origin}");
            assert_eq!(
                response
                    .headers()
                    .get("x-amzn-errortype")
                    .and_then(|v| v.to_str().ok()),
                Some("AccessDeniedException")
            );
            assert!(body_text(response).await.contains("origin"));
        }
    }

    #[tokio::test]
    async fn a_websocket_upgrade_from_a_foreign_origin_is_refused() {
        let headers = [
            ("host", "127.0.0.1:8080"),
            ("origin", "http://attacker.example"),
            ("connection", "upgrade"),
            ("upgrade", "websocket"),
        ];
        let response = send(true, "GET", "/runtimes/agent/ws", &headers).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }

    #[tokio::test]
    async fn a_post_from_the_page_needs_the_custom_header() {
        let page = [
            ("host", "localhost:8080"),
            ("origin", "http://localhost:8080"),
        ];
        let refused = send(true, "POST", INVOKE, &page).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        assert!(body_text(refused).await.contains("X-Agentprep-Inspector"));
        let marked = [
            ("host", "localhost:8080"),
            ("origin", "http://localhost:8080"),
            ("x-agentprep-inspector", "1"),
        ];
        assert_eq!(
            send(true, "POST", INVOKE, &marked).await.status(),
            StatusCode::OK
        );
        // A browser that sends no Origin still says where the request came from.
        let fetch_metadata = [
            ("host", "127.0.0.1:8080"),
            ("sec-fetch-site", "same-origin"),
        ];
        assert_eq!(
            send(true, "POST", INVOKE, &fetch_metadata).await.status(),
            StatusCode::FORBIDDEN
        );
    }

    #[tokio::test]
    async fn an_sdk_request_without_origin_passes() {
        let sdk = [
            ("host", "127.0.0.1:8080"),
            ("content-type", "application/json"),
        ];
        let response = send(true, "POST", INVOKE, &sdk).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers().get("content-security-policy").is_none());
        // No Host at all (HTTP/1.0 tools): nothing to check.
        assert_eq!(
            send(true, "GET", "/ping", &[]).await.status(),
            StatusCode::OK
        );
    }

    #[tokio::test]
    async fn the_page_and_its_refusals_carry_a_strict_csp_and_no_caching() {
        for host in ["127.0.0.1:8080", "attacker.example"] {
            let response = send(true, "GET", "/ui", &[("host", host)]).await;
            let headers = response.headers();
            assert_eq!(
                headers
                    .get("content-security-policy")
                    .and_then(|v| v.to_str().ok()),
                Some(CONTENT_SECURITY_POLICY),
                "{host}"
            );
            assert!(CONTENT_SECURITY_POLICY.contains("default-src 'none'"));
            assert!(CONTENT_SECURITY_POLICY.contains("frame-ancestors 'none'"));
            assert_eq!(headers.get("x-content-type-options").unwrap(), "nosniff");
            assert_eq!(headers.get("referrer-policy").unwrap(), "no-referrer");
            assert_eq!(headers.get("cache-control").unwrap(), "no-store");
        }
    }
}
