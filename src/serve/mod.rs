//! `digitnet serve`: a page to draw a digit on (or to upload a photo of a number)
//! and a JSON API that reads it.
//!
//! - [`router`] builds the whole application for a [`Classifier`]: the page
//!   (`GET /`), `POST /api/predict` (an image, a form with one image file, or JSON
//!   pixels; `?number=true` reads a row of digits), `GET /api/model` and `GET /healthz`.
//! - [`serve`] runs it on a bound listener until a shutdown future resolves,
//!   letting requests in flight finish; [`run`] does all of it for an address,
//!   stopping on Ctrl-C or SIGTERM.
//!
//! The classifier is shared read-only behind an `Arc`: requests run in parallel
//! with no lock. Bodies are capped at [`MAX_BODY_BYTES`] (a phone's photo as it is;
//! [`MAX_JSON_BYTES`] for JSON pixels) and read by `body.rs` before the handler runs,
//! images at what decoding them takes ([`input::MAX_DECODE_BYTES`], from the header,
//! before decoding).
//!
//! No client can wedge the server ([`ServerLimits`]): a request's headers must arrive
//! within 10 s (the same bound closes a kept-alive connection that idles), its body
//! within 30 s; at most 256 connections are served at once (more wait in the kernel's
//! queue); a shutdown lets requests in flight finish for at most 10 s, then exits.
//! Memory is bounded as [`limits`] states.
//!
mod api;
mod body;
mod classifier;
mod error;
pub mod input;
pub mod limits;
mod multipart;
mod page;
mod shutdown;

pub use classifier::{Answer, Classifier};
pub use error::ApiError;
pub use shutdown::signal as shutdown_signal;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{get, post};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use crate::error::{Error, Result};

/// The largest request body accepted (16 MiB: a 12-megapixel phone photo is 3-6 MB);
/// larger ones get a 413. All bodies together stay within [`limits::BODY_BUDGET_BYTES`].
pub const MAX_BODY_BYTES: usize = 16 << 20;

/// The largest JSON body accepted (1 MiB): JSON pixels are for drawings.
pub const MAX_JSON_BYTES: usize = 1 << 20;

/// The most connections served at once: under the common limit of 1,024 open files.
pub const MAX_CONNECTIONS: usize = 256;

/// What a client is allowed before the server gives up on it.
#[derive(Clone, Copy, Debug)]
pub struct ServerLimits {
    /// Time to send a request's headers; also the longest a kept-alive connection may
    /// idle between requests.
    pub header_timeout: Duration,
    /// Time to send a request's body, once its memory is reserved (then a 408).
    pub body_timeout: Duration,
    /// The memory all request bodies share ([`limits::BODIES`] by default).
    pub body_budget: &'static limits::Budget,
    /// How long a request waits for its body's share of `body_budget` (then a 503).
    pub body_wait: Duration,
    /// Connections served at once.
    pub max_connections: usize,
    /// How long a shutdown waits for requests in flight before it exits anyway.
    pub shutdown_grace: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            body_budget: &limits::BODIES,
            body_wait: limits::BODY_WAIT,
            max_connections: MAX_CONNECTIONS,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// The application: every route, the body limit, JSON errors for unknown paths.
pub fn router(classifier: Arc<Classifier>) -> Router {
    router_with(classifier, ServerLimits::default())
}

/// [`router`] with the body deadline and budget of `limits`.
pub fn router_with(classifier: Arc<Classifier>, limits: ServerLimits) -> Router {
    Router::new()
        .route("/", get(page::index))
        .route("/style.css", get(page::style))
        .route("/app.js", get(page::script))
        .route("/api/predict", post(api::predict))
        .route("/api/model", get(api::model))
        .route("/healthz", get(api::healthz))
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(limits, body::within_limits))
        .with_state(classifier)
}

/// Serves `classifier` on `listener` until `shutdown` resolves, with the default
/// [`ServerLimits`]; requests in flight then finish (for at most 10 s) before this returns.
pub async fn serve(
    listener: TcpListener,
    classifier: Arc<Classifier>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = ServerLimits::default();
    serve_with(listener, router_with(classifier, limits), limits, shutdown).await
}

/// Serves `app` on `listener` within `limits` until `shutdown` resolves.
pub async fn serve_with(
    listener: TcpListener,
    app: Router,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            biased;
            () = &mut shutdown => break,
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    after_accept_error(&e).await;
                    continue;
                }
            },
        };
        while connections.try_join_next().is_some() {}
        connections.spawn(connection(
            stream,
            app.clone(),
            limits,
            stop_rx.clone(),
            slot,
        ));
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let drain = async { while connections.join_next().await.is_some() {} };
    // Past the grace period, what is left is dropped (and aborted) with the set.
    let _ = tokio::time::timeout(limits.shutdown_grace, drain).await;
    Ok(())
}

/// One client connection, closed gracefully when `stop` turns true; `_slot` holds its
/// place among [`ServerLimits::max_connections`].
async fn connection(
    stream: TcpStream,
    app: Router,
    limits: ServerLimits,
    mut stop: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app));
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = stop.wait_for(|&stop| stop) => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}

/// After a failed accept: a client that gave up is nothing; running out of file
/// descriptors (or memory) passes after a pause, as connections close.
async fn after_accept_error(e: &std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionReset, Interrupted};
    if !matches!(e.kind(), ConnectionAborted | ConnectionReset | Interrupted) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Binds `addr`, calls `on_listening` with the page's URL, and serves until
/// Ctrl-C or SIGTERM. Blocks; builds its own multi-threaded runtime.
pub fn run(
    addr: SocketAddr,
    classifier: Arc<Classifier>,
    on_listening: impl FnOnce(&str),
) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("the async runtime", e))?;
    runtime.block_on(async {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| Error::config(format!("cannot listen on {addr}: {e}")))?;
        let local = listener
            .local_addr()
            .map_err(|e| Error::io(addr.to_string(), e))?;
        on_listening(&format!("http://{local}/"));
        serve(listener, classifier, shutdown::signal())
            .await
            .map_err(|e| Error::io(local.to_string(), e))
    })
}
