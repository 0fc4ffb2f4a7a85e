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
//! with no lock. Bodies are capped at [`MAX_BODY_BYTES`], images at
//! [`input::MAX_IMAGE_SIDE`] pixels a side (checked before decoding).
//!
//! ```no_run
//! use std::sync::Arc;
//! use digitnet::serve::{self, Classifier};
//!
//! let classifier = Arc::new(Classifier::trained_on_digits(0.6)?);
//! serve::run("127.0.0.1:8080".parse().unwrap(), classifier, |url| println!("{url}"))?;
//! # Ok::<(), digitnet::Error>(())
//! ```

mod api;
mod classifier;
mod error;
pub mod input;
mod multipart;
mod page;
mod shutdown;

pub use classifier::{Answer, Classifier};
pub use error::ApiError;
pub use shutdown::signal as shutdown_signal;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use tokio::net::TcpListener;

use crate::error::{Error, Result};

/// The largest request body accepted (1 MiB); larger ones get a 413.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// The application: every route, the body limit, JSON errors for unknown paths.
pub fn router(classifier: Arc<Classifier>) -> Router {
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
        .with_state(classifier)
}

/// Serves `classifier` on `listener` until `shutdown` resolves; requests in
/// flight then finish before this returns.
pub async fn serve(
    listener: TcpListener,
    classifier: Arc<Classifier>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(classifier))
        .with_graceful_shutdown(shutdown)
        .await
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
