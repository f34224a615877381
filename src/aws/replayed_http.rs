//! An AWS JSON API answered from a list instead of the network, for the tests of answers moto
//! cannot give (a role not yet assumable, a name conflict, throttling, a failed runtime). The
//! SDK serialises each request and parses each answer as it does AWS's, so what is tested is
//! what runs: the error codes and messages reach the code from the wire format, not from
//! values built by hand. Answers are given in order; each request is recorded for the test to
//! count. Written here, on the SDK's public HTTP client trait, rather than with a mocking crate
//! that turns on test features of the SDK's own crates (the test build then compiled every
//! AWS crate a second time).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::{Response, StatusCode};
use aws_smithy_types::body::SdkBody;

/// One answer: an HTTP status, the error type AWS's JSON protocols name in
/// `x-amzn-errortype` (for an error), and the JSON body.
#[derive(Debug, Clone)]
pub struct Answer {
    status: u16,
    error_type: Option<&'static str>,
    body: serde_json::Value,
}

impl Answer {
    /// A successful answer with this body.
    pub fn ok(body: serde_json::Value) -> Answer {
        Answer {
            status: 200,
            error_type: None,
            body,
        }
    }

    /// An error of type `error_type` (`ValidationException`) with this status and body (its
    /// `message`, and the type's own fields).
    pub fn error(status: u16, error_type: &'static str, body: serde_json::Value) -> Answer {
        Answer {
            status,
            error_type: Some(error_type),
            body,
        }
    }
}

/// The HTTP client a test's SDK client is built with.
#[derive(Debug, Clone, Default)]
pub struct ReplayedHttp {
    answers: Arc<Mutex<VecDeque<Answer>>>,
    /// `METHOD path` of every request, in order.
    requests: Arc<Mutex<Vec<String>>>,
}

impl ReplayedHttp {
    pub fn new(answers: impl IntoIterator<Item = Answer>) -> ReplayedHttp {
        ReplayedHttp {
            answers: Arc::new(Mutex::new(answers.into_iter().collect())),
            requests: Arc::default(),
        }
    }

    /// How many requests were made.
    pub fn request_count(&self) -> usize {
        self.requests
            .lock()
            .map(|requests| requests.len())
            .unwrap_or(0)
    }

    /// The requests made, as `METHOD path`.
    pub fn requests(&self) -> Vec<String> {
        self.requests
            .lock()
            .map(|requests| requests.clone())
            .unwrap_or_default()
    }
}

impl HttpConnector for ReplayedHttp {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let path = request
            .uri()
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|slash| &rest[slash..]))
            .unwrap_or("/")
            .to_string();
        let seen = format!("{} {path}", request.method());
        if let Ok(mut requests) = self.requests.lock() {
            requests.push(seen.clone());
        }
        let next = self
            .answers
            .lock()
            .ok()
            .and_then(|mut answers| answers.pop_front());
        let Some(answer) = next else {
            return HttpConnectorFuture::ready(Err(ConnectorError::other(
                format!("the test gave no answer for request {seen}").into(),
                None,
            )));
        };
        let status =
            StatusCode::try_from(answer.status).unwrap_or(StatusCode::try_from(500).unwrap());
        let mut response = Response::new(status, SdkBody::from(answer.body.to_string()));
        response
            .headers_mut()
            .insert("content-type", "application/json");
        if let Some(error_type) = answer.error_type {
            response
                .headers_mut()
                .insert("x-amzn-errortype", error_type);
        }
        HttpConnectorFuture::ready(Ok(response))
    }
}

impl HttpClient for ReplayedHttp {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}
