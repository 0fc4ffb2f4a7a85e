//! The server cannot be wedged: slow or half-sent requests time out, idle connections
//! close, connections are capped, a shutdown waits a bounded time, and a body over the
//! limit is refused from its `Content-Length` (even with `Expect: 100-continue`).
//! The library's server runs with short limits so that each test takes about a second.

mod serve_support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use digitnet::serve::{self, Classifier, MAX_BODY_BYTES, ServerLimits};

fn classifier() -> Arc<Classifier> {
    static SHARED: OnceLock<Arc<Classifier>> = OnceLock::new();
    SHARED
        .get_or_init(|| Arc::new(Classifier::trained_on_digits(0.6).unwrap()))
        .clone()
}

/// A server on a loopback port with `limits`; [`Server::stop`] asks it to shut down.
struct Server {
    addr: SocketAddr,
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    fn start(limits: ServerLimits) -> Self {
        let (addr_tx, addr_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let app = serve::router_with(classifier(), limits);
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                let stop = async move {
                    let _ = tokio::task::spawn_blocking(move || stop_rx.recv()).await;
                };
                serve::serve_with(listener, app, limits, stop)
                    .await
                    .unwrap();
            });
            // The runtime is dropped here without waiting for anything left behind.
            runtime.shutdown_background();
        });
        let addr = addr_rx.recv_timeout(Duration::from_secs(30)).unwrap();
        Server {
            addr,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// Asks for a shutdown and returns how long the server took to stop.
    fn stop(&mut self) -> Duration {
        let start = Instant::now();
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
        start.elapsed()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn short(header_ms: u64) -> ServerLimits {
    ServerLimits {
        header_timeout: Duration::from_millis(header_ms),
        body_timeout: Duration::from_millis(400),
        max_connections: 64,
        shutdown_grace: Duration::from_secs(20),
        ..ServerLimits::default()
    }
}

/// Reads until the server closes the connection (or `limit` passes); what it sent.
fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (Vec<u8>, bool) {
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut got = Vec::new();
    let closed = match stream.read_to_end(&mut got) {
        Ok(_) => true,
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
    };
    (got, closed)
}

#[test]
fn a_half_sent_request_is_closed_after_the_header_deadline() {
    let server = Server::start(short(300));
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHo").unwrap();
    let start = Instant::now();
    let (_, closed) = read_until_closed(&mut stream, Duration::from_secs(10));
    assert!(closed, "the connection stayed open");
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(250) && took < Duration::from_secs(5),
        "{took:?}"
    );
}

#[test]
fn an_idle_kept_alive_connection_is_closed() {
    let server = Server::start(short(300));
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let (got, closed) = read_until_closed(&mut stream, Duration::from_secs(10));
    assert!(closed, "the kept-alive connection never closed");
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
}

#[test]
fn a_body_that_stops_arriving_gets_a_408() {
    let server = Server::start(short(5_000));
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .write_all(
            b"POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{\"width\":",
        )
        .unwrap();
    let start = Instant::now();
    let (got, _) = read_until_closed(&mut stream, Duration::from_secs(10));
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("did not arrive within"), "{text}");
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn expect_100_continue_over_the_limit_gets_413_not_100() {
    let server = Server::start(short(5_000));
    let mut stream = TcpStream::connect(server.addr).unwrap();
    let head = format!(
        "POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\n\
         Content-Length: {}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
        MAX_BODY_BYTES + 1
    );
    stream.write_all(head.as_bytes()).unwrap();
    let (got, _) = read_until_closed(&mut stream, Duration::from_secs(10));
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("limit of 16777216 bytes"), "{text}");
    assert!(!text.contains("100 Continue"), "{text}");
}

#[test]
fn a_shutdown_with_a_half_sent_request_open_ends_within_the_grace_period() {
    let mut server = Server::start(ServerLimits {
        header_timeout: Duration::from_secs(60),
        shutdown_grace: Duration::from_millis(500),
        ..short(60_000)
    });
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHo").unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let took = server.stop();
    assert!(took < Duration::from_secs(5), "shutdown took {took:?}");
}

#[test]
fn a_shutdown_lets_the_request_in_flight_finish() {
    let mut server = Server::start(short(5_000));
    let mut stream = TcpStream::connect(server.addr).unwrap();
    let body = br#"{"width":2,"height":1,"pixels":[0,255]}"#;
    // The headers are in; the body follows after the shutdown has begun.
    let head = format!(
        "POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let stopper = {
        let stop = server.stop.take();
        std::thread::spawn(move || drop(stop))
    };
    std::thread::sleep(Duration::from_millis(100));
    stream.write_all(body).unwrap();
    let (got, _) = read_until_closed(&mut stream, Duration::from_secs(10));
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    stopper.join().unwrap();
    assert!(server.stop() < Duration::from_secs(5));
}

#[test]
fn connections_over_the_limit_wait_for_a_free_slot() {
    let server = Server::start(ServerLimits {
        max_connections: 2,
        ..short(600)
    });
    let mut idle: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut s = TcpStream::connect(server.addr).unwrap();
            s.write_all(b"GET /healthz HTTP/1.1\r\nHo").unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    let start = Instant::now();
    let answer = serve_support::request(server.addr, "GET", "/healthz", None, b"");
    let waited = start.elapsed();
    assert_eq!(answer.status, 200);
    // The third client was served only once a half-sent request timed out.
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    for s in &mut idle {
        let (_, closed) = read_until_closed(s, Duration::from_secs(10));
        assert!(closed);
    }
}
