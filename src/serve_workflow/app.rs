//! The app `serve` answers on its one port: every path under `/ui` goes to the inspector page
//! and its API behind the inspector's guards, every other path to the data plane behind its
//! own checks (`loopback_requests`: a loopback `Host` while serve listens on loopback, no
//! foreign browser origin, no browser write without the page's header). Assembled here, above
//! both, so that neither imports the other. A request goes to one door or the other by its
//! path alone: an invocation pays for the data plane's checks, never for the page's.

use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response};
use axum::response::IntoResponse;
use futures_util::future::{Either, Ready, ready};
use hyper::service::Service;
use hyper_util::service::{TowerToHyperService, TowerToHyperServiceFuture};

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::bounded_http::connections::{self, ConnectionLimits};
use crate::inspector;
use crate::inspector::guards;
use crate::local_runtime::api_error::ApiError;
use crate::local_runtime::data_plane;
use crate::local_runtime::server;
use crate::local_runtime::state::LocalRuntime;
use crate::loopback_requests::{self, Listening};

/// `serve`'s port: the data plane and the inspector, each behind its own checks.
#[derive(Clone)]
pub struct App {
    data_plane: TowerToHyperService<Router>,
    page: TowerToHyperService<Router>,
    listening: Listening,
}

/// The app for `runtime`, listening as `listening` says.
pub fn app(runtime: Arc<LocalRuntime>, listening: Listening) -> App {
    App::new(
        data_plane::router(Arc::clone(&runtime)),
        inspector::router(runtime),
        listening,
    )
}

/// Serve `runtime` on `listener`, within `limits`, until `shutdown` turns true; then drain and
/// stop every worker (`local_runtime::server`).
pub async fn serve(
    runtime: Arc<LocalRuntime>,
    listener: TcpListener,
    limits: ConnectionLimits,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    // The checks know the port the page's own origin has, and whether this is loopback.
    let listening = Listening::at(listener.local_addr()?);
    let app = app(Arc::clone(&runtime), listening);
    let connections =
        connections::serve(listener, app, limits, shutdown.clone(), server::DRAIN_BOUND);
    server::run(runtime, connections, shutdown).await
}

impl App {
    /// `page` answers the paths under `/ui`; one it does not know is answered as the data plane
    /// answers an unknown operation, behind the page's guards all the same.
    pub fn new(data_plane: Router, page: Router, listening: Listening) -> App {
        let page = page
            .fallback(|| async { data_plane::unknown_operation() })
            .method_not_allowed_fallback(|| async { data_plane::unknown_operation() });
        App {
            data_plane: TowerToHyperService::new(data_plane),
            page: TowerToHyperService::new(guards::protect(page, listening)),
            listening,
        }
    }
}

impl<B> Service<Request<B>> for App
where
    B: hyper::body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Either<
        TowerToHyperServiceFuture<Router, Request<B>>,
        Ready<Result<Response<Body>, Infallible>>,
    >;

    fn call(&self, request: Request<B>) -> Self::Future {
        if guards::is_page_path(request.uri().path()) {
            return Either::Left(self.page.call(request));
        }
        let refused =
            loopback_requests::refusal(&self.listening, false, request.method(), request.headers());
        match refused {
            Some(refusal) => {
                Either::Right(ready(Ok(ApiError::access_denied(refusal).into_response())))
            }
            None => Either::Left(self.data_plane.call(request)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::{get, post};

    use crate::inspector::guards::CONTENT_SECURITY_POLICY;

    const PORT: u16 = 8080;

    async fn body_text(response: Response<Body>) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    fn app(loopback: bool) -> App {
        let page = Router::new()
            .route("/ui", get(|| async { "page" }))
            .route("/ui/api/state", get(|| async { "{}" }));
        let data_plane = Router::new()
            .route("/runtimes/{arn}/invocations", post(|| async { "answer" }))
            .route("/ping", get(|| async { "pong" }));
        App::new(
            data_plane,
            page,
            Listening {
                port: PORT,
                loopback,
            },
        )
    }

    async fn send(
        loopback: bool,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Response<Body> {
        let mut request = Request::builder().method(method).uri(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Body::empty()).unwrap();
        match app(loopback).call(request).await {
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
