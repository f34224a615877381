//! Errors of the local data plane, shaped as AWS sends them: the status code, the
//! `x-amzn-ErrorType` header and a JSON body with `message`, so the AWS SDKs turn them into
//! their typed errors (`ValidationException`, `RuntimeClientError`, ...).

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub error_type: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn validation(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            error_type: "ValidationException",
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            error_type: "ResourceNotFoundException",
            message: message.into(),
        }
    }

    /// The agent itself failed (its process died or never became ready).
    pub fn runtime_client(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::FAILED_DEPENDENCY,
            error_type: "RuntimeClientError",
            message: message.into(),
        }
    }

    /// The client stopped sending its request before it was whole.
    pub fn request_timeout(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::REQUEST_TIMEOUT,
            error_type: "RequestTimeoutException",
            message: message.into(),
        }
    }

    pub fn throttling(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::TOO_MANY_REQUESTS,
            error_type: "ThrottlingException",
            message: message.into(),
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            error_type: "InternalServerException",
            message: message.into(),
        }
    }

    /// Another method than the operation's on its path: MCP clients read 405 as "not
    /// supported here" and carry on (their DELETE at the end, their GET event stream).
    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::METHOD_NOT_ALLOWED,
            error_type: "UnknownOperationException",
            message: message.into(),
        }
    }

    /// A request `serve` refuses to answer (`loopback_requests`: a foreign `Host` or origin).
    pub fn access_denied(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::FORBIDDEN,
            error_type: "AccessDeniedException",
            message: message.into(),
        }
    }

    /// A bearer token missing or refused by the runtime's JWT authorizer (`caller_access`).
    pub fn unauthorized(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            error_type: "AccessDeniedException",
            message: message.into(),
        }
    }

    pub fn unknown_operation(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            error_type: "UnknownOperationException",
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "message": self.message }).to_string();
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        headers.insert(
            "x-amzn-errortype",
            HeaderValue::from_static(self.error_type),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert("www-authenticate", HeaderValue::from_static("Bearer"));
        }
        response
    }
}
