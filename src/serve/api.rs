//! The JSON API: `POST /api/predict`, `GET /api/model`, `GET /healthz`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};

use super::classifier::{Answer, Classifier};
use super::error::ApiError;
use super::input::{BodyKind, read_image_held};

/// `POST /api/predict`: a PNG or JSON pixels in, the digit and its probabilities out.
///
/// Decoding and the forward pass run on tokio's blocking pool so that a large
/// image never stalls the threads that accept connections.
pub async fn predict(
    State(classifier): State<Arc<Classifier>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Answer>, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("(not text)"));
    let kind = BodyKind::from_content_type(content_type)?;
    let body = body?;
    let answer = tokio::task::spawn_blocking(move || {
        // The decoding budget's share is held until the picture is prepared and answered.
        let (image, _memory) = read_image_held(kind, &body)?;
        Ok::<_, ApiError>(classifier.answer(&image))
    })
    .await
    .map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("prediction failed: {e}"),
        )
    })?;
    answer.map(Json)
}

/// `GET /api/model`: the served model's description.
pub async fn model(State(classifier): State<Arc<Classifier>>) -> Json<serde_json::Value> {
    Json(classifier.description())
}

/// `GET /healthz`: answers as long as the server runs.
pub async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// Any other path.
pub async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no such page; the API is POST /api/predict, GET /api/model and GET /healthz",
    )
}

/// A known path asked with the wrong method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method not allowed here (POST /api/predict; GET for everything else)",
    )
}
