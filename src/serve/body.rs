//! Reading a request's body within bounds, before the handler runs (see [`super::limits`]):
//! at most [`MAX_BODY_BYTES`] ([`MAX_JSON_BYTES`] for JSON pixels), its memory reserved from
//! the server's body budget before it is read, and all of it within a deadline.
//!
//! A body with a `Content-Length` reserves its whole cost before a byte is read, so a
//! client that sends `Expect: 100-continue` gets its 413 or 503 before it sends the body.
//! A chunked body reserves as it grows: its buffer doubles, and its reservation with it.
//! The reservation travels with the request as a [`BodyHeld`] extension, which the handler
//! keeps until the request is answered.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;

use super::error::ApiError;
use super::input::BodyKind;
use super::limits::{Budget, FORM_COST, JSON_COST, Permit};
use super::{MAX_BODY_BYTES, MAX_JSON_BYTES, ServerLimits};

/// The share of the body budget a request holds; returned when the last clone is dropped.
#[derive(Clone)]
pub struct BodyHeld {
    _permits: Arc<Vec<Permit<'static>>>,
}

/// The smallest buffer a chunked body starts with.
const FIRST_CHUNKED_BYTES: usize = 64 << 10;

/// Reads the whole body, within `limits`, then runs the handler on it.
pub async fn within_limits(
    State(limits): State<ServerLimits>,
    request: Request,
    next: Next,
) -> Response {
    match read(limits, request).await {
        Ok(request) => next.run(request).await,
        Err(refused) => refused.into_response(),
    }
}

/// The request with its body read into memory and its reservation attached.
async fn read(limits: ServerLimits, request: Request) -> Result<Request, ApiError> {
    let (mut parts, body) = request.into_parts();
    let rule = Rule::for_type(
        parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
    );
    let mut held = Reservation::new(limits, rule.cost);
    let declared = body.size_hint().exact();
    if let Some(n) = declared {
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        rule.check(n)?;
        // Waiting for memory is not the client's slowness: the body deadline starts after.
        held.grow_to(n).await?;
    }
    let bytes = tokio::time::timeout(limits.body_timeout, collect(body, rule, &mut held))
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "the request body did not arrive within {} s",
                    limits.body_timeout.as_secs_f32()
                ),
            )
        })??;
    parts.extensions.insert(BodyHeld {
        _permits: Arc::new(held.permits),
    });
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// Reads `body` into one buffer, growing `held` (and the buffer) as chunks arrive
/// beyond what it already covers.
async fn collect(body: Body, rule: Rule, held: &mut Reservation) -> Result<Vec<u8>, ApiError> {
    let mut buffer = Vec::with_capacity(held.bytes);
    let mut chunks = body.into_data_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk
            .map_err(|e| ApiError::bad_request(format!("could not read the request body: {e}")))?;
        let needed = buffer.len().saturating_add(chunk.len());
        if needed > buffer.capacity() {
            rule.check(needed)?;
            let grown = needed
                .max(2 * buffer.capacity())
                .max(FIRST_CHUNKED_BYTES)
                .min(rule.cap);
            held.grow_to(grown).await?;
            buffer.reserve_exact(grown - buffer.len());
        }
        buffer.extend_from_slice(&chunk);
    }
    Ok(buffer)
}

/// How a body of one content type is bounded.
#[derive(Clone, Copy)]
struct Rule {
    /// The most bytes accepted.
    cap: usize,
    /// Bytes reserved per byte of body: what holding and unpacking it costs at its peak.
    cost: u64,
    /// The body, as the 413 names it.
    what: &'static str,
}

impl Rule {
    /// The rule for a `Content-Type`; an unknown one is left for the handler to refuse.
    fn for_type(content_type: Option<&str>) -> Rule {
        let (cap, cost, what) = match BodyKind::from_content_type(content_type) {
            Ok(BodyKind::Json) => (MAX_JSON_BYTES, JSON_COST, "a JSON body"),
            Ok(BodyKind::Form(_)) => (MAX_BODY_BYTES, FORM_COST, "the request body"),
            _ => (MAX_BODY_BYTES, 1, "the request body"),
        };
        Rule { cap, cost, what }
    }

    /// A 413 naming the limit when `bytes` is over it.
    fn check(self, bytes: usize) -> Result<(), ApiError> {
        if bytes <= self.cap {
            return Ok(());
        }
        Err(ApiError::too_large(format!(
            "{} is larger than the limit of {} bytes ({} MiB)",
            self.what,
            self.cap,
            self.cap >> 20
        )))
    }
}

/// What a request has reserved so far: enough for its first `bytes` of body.
struct Reservation {
    budget: &'static Budget,
    wait: Duration,
    cost: u64,
    bytes: usize,
    permits: Vec<Permit<'static>>,
}

impl Reservation {
    fn new(limits: ServerLimits, cost: u64) -> Self {
        Reservation {
            budget: limits.body_budget,
            wait: limits.body_wait,
            cost,
            bytes: 0,
            permits: Vec::new(),
        }
    }

    /// Extends the reservation to cover `bytes` of body, or a 503 naming the budget when
    /// the other requests do not leave room for it in time.
    async fn grow_to(&mut self, bytes: usize) -> Result<(), ApiError> {
        if bytes <= self.bytes {
            return Ok(());
        }
        let more = (bytes - self.bytes) as u64 * self.cost;
        let permit = self.budget.reserve_async(more, self.wait).await;
        let permit = permit.ok_or_else(|| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "the server is busy receiving other requests (their bodies share a budget \
                     of {} MiB); try again in a moment",
                    self.budget.total() >> 20
                ),
            )
        })?;
        self.permits.push(permit);
        self.bytes = bytes;
        Ok(())
    }
}
