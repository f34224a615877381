//! The accept loop's bounds over real loopback sockets: half-open and idle
//! connections closed, clients past the limit refused with AWS's throttling shape, shutdown
//! waiting for answers in flight.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::post;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};

use crate::bounded_http::connections::{self, ConnectionLimits};

const HEAD_TIMEOUT: Duration = Duration::from_millis(300);
/// Longer than any bound under test, so a wait that ends by timing out is a failure.
const PATIENCE: Duration = Duration::from_secs(10);

struct Served {
    address: std::net::SocketAddr,
    /// Notified when `/slow` has begun answering.
    answering: Arc<Notify>,
    stop: watch::Sender<bool>,
    done: tokio::task::JoinHandle<bool>,
}

/// Serve an app whose `/slow` answers after 200 ms and `/fast` at once.
async fn serve(max_connections: usize) -> Served {
    let answering = Arc::new(Notify::new());
    let begun = Arc::clone(&answering);
    let router = Router::new()
        .route(
            "/slow",
            post(move || {
                begun.notify_one();
                async {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    "slow"
                }
            }),
        )
        .route("/fast", post(|| async { "fast" }));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = watch::channel(false);
    let limits = ConnectionLimits {
        head_timeout: HEAD_TIMEOUT,
        max_connections,
    };
    let done = tokio::spawn(connections::serve(
        listener,
        TowerToHyperService::new(router),
        limits,
        stopped,
        Duration::from_secs(5),
    ));
    Served {
        address,
        answering,
        stop,
        done,
    }
}

fn request(path: &str) -> String {
    format!("POST {path} HTTP/1.1\r\nhost: local\r\ncontent-length: 0\r\n\r\n")
}

/// Read until the server closes the connection; what it sent.
async fn read_to_close(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    tokio::time::timeout(PATIENCE, stream.read_to_end(&mut answer))
        .await
        .expect("the server closes the connection")
        .unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

/// Read one whole answer, which ends with `body`, leaving the connection open.
async fn read_answer(stream: &mut TcpStream, body: &str) -> String {
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    while !String::from_utf8_lossy(&answer).ends_with(body) {
        let read = tokio::time::timeout(PATIENCE, stream.read(&mut buffer))
            .await
            .expect("the answer comes")
            .unwrap();
        assert!(read > 0, "closed before the answer");
        answer.extend_from_slice(&buffer[..read]);
    }
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_at_the_head_timeout() {
    let served = serve(8).await;
    let mut silent = TcpStream::connect(served.address).await.unwrap();
    assert_eq!(read_to_close(&mut silent).await, "");
}

#[tokio::test]
async fn a_kept_alive_connection_left_idle_is_closed_at_the_head_timeout() {
    let served = serve(8).await;
    let mut client = TcpStream::connect(served.address).await.unwrap();
    client.write_all(request("/fast").as_bytes()).await.unwrap();
    assert!(
        read_answer(&mut client, "fast")
            .await
            .starts_with("HTTP/1.1 200")
    );
    assert_eq!(read_to_close(&mut client).await, "");
}

#[tokio::test]
async fn a_client_past_the_connection_limit_is_throttled_and_served_once_room_is_made() {
    let served = serve(2).await;
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut client = TcpStream::connect(served.address).await.unwrap();
        client.write_all(request("/fast").as_bytes()).await.unwrap();
        read_answer(&mut client, "fast").await;
        held.push(client);
    }
    let mut refused = TcpStream::connect(served.address).await.unwrap();
    refused
        .write_all(request("/fast").as_bytes())
        .await
        .unwrap();
    let answer = read_to_close(&mut refused).await;
    assert!(
        answer.starts_with("HTTP/1.1 429")
            && answer.contains("x-amzn-errortype: ThrottlingException")
            && answer.contains("already serves 2 connections"),
        "{answer}"
    );
    drop(held);
    // The held connections' tasks end once they see the close; then a new client is served.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let mut client = TcpStream::connect(served.address).await.unwrap();
        client.write_all(request("/fast").as_bytes()).await.unwrap();
        let mut answer = vec![0u8; 12];
        tokio::time::timeout(PATIENCE, client.read_exact(&mut answer))
            .await
            .unwrap()
            .unwrap();
        if answer.starts_with(b"HTTP/1.1 200") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "room was never made"
        );
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn shutdown_lets_an_answer_in_flight_finish_and_then_ends() {
    let served = serve(8).await;
    let mut client = TcpStream::connect(served.address).await.unwrap();
    client.write_all(request("/slow").as_bytes()).await.unwrap();
    tokio::time::timeout(PATIENCE, served.answering.notified())
        .await
        .expect("the request is being answered");
    served.stop.send(true).unwrap();
    assert!(
        read_answer(&mut client, "slow")
            .await
            .starts_with("HTTP/1.1 200")
    );
    let drained = tokio::time::timeout(PATIENCE, served.done)
        .await
        .expect("serve ends after shutdown")
        .unwrap();
    assert!(drained, "every connection finished within the drain bound");
}
