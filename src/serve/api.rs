//! The JSON API: `POST /api/predict`, `GET /api/model`, `GET /healthz`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use super::body::BodyHeld;
use super::classifier::Classifier;
use super::error::ApiError;
use super::input::{BodyKind, read_image_held, unpack};

/// `POST /api/predict`: an image (alone, or the one file of a form) or JSON pixels
/// in; the digit and its probabilities out, or with `?number=true` the number
/// written in a row of digits.
///
/// Decoding and the forward pass run on tokio's blocking pool so that a large
/// image never stalls the threads that accept connections.
pub async fn predict(
    State(classifier): State<Arc<Classifier>>,
    uri: Uri,
    headers: HeaderMap,
    Extension(body_memory): Extension<BodyHeld>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let number = wants_number(uri.query())?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("(not text)"));
    let kind = BodyKind::from_content_type(content_type)?;
    let (payload, body) = unpack(kind, body?).await?;
    tokio::task::spawn_blocking(move || {
        // The budgets' shares are held until the picture is prepared and answered.
        let _body_memory = body_memory;
        let (image, _memory) = read_image_held(payload, &body)?;
        if number {
            let reading = classifier
                .read_number(&image)
                .map_err(|e| ApiError::unprocessable(format!("{e} (number=true)")))?;
            return Ok(Json(reading).into_response());
        }
        Ok::<_, ApiError>(Json(classifier.answer(&image)).into_response())
    })
    .await
    .map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("prediction failed: {e}"),
        )
    })?
}

/// Whether the query asks for a whole number: `number=true` (or `1`); `false`,
/// `0` or no query ask for one digit. Anything else is a 400 naming it.
pub fn wants_number(query: Option<&str>) -> Result<bool, ApiError> {
    let mut number = false;
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, "true"));
        number = match (key, value) {
            ("number", "true" | "1") => true,
            ("number", "false" | "0") => false,
            ("number", other) => {
                return Err(ApiError::bad_request(format!(
                    "number={other}: expected number=true or number=false"
                )));
            }
            (other, _) => {
                return Err(ApiError::bad_request(format!(
                    "unknown query parameter '{other}'; POST /api/predict takes only \
                     number=true (read a row of digits)"
                )));
            }
        };
    }
    Ok(number)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_chooses_a_digit_or_a_number() {
        assert_eq!(wants_number(None), Ok(false));
        assert_eq!(wants_number(Some("")), Ok(false));
        assert_eq!(wants_number(Some("number=true")), Ok(true));
        assert_eq!(wants_number(Some("number=1")), Ok(true));
        assert_eq!(wants_number(Some("number")), Ok(true));
        assert_eq!(wants_number(Some("number=false")), Ok(false));
        let err = wants_number(Some("number=yes")).unwrap_err();
        assert!(err.message.contains("number=yes"), "{}", err.message);
        let err = wants_number(Some("number=true&digits=4")).unwrap_err();
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        assert!(err.message.contains("'digits'"), "{}", err.message);
    }
}
