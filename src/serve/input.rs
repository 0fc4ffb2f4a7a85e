//! Reads the image a client sent to `POST /api/predict`: an image file (PNG,
//! or JPEG, BMP, GIF), alone or as the one file of a `multipart/form-data` form
//! (what `curl -F` and an HTML form send), or JSON `{"width": W, "height": H, "pixels": [W*H grey
//! values 0..255, row by row]}`.
//!
//! Everything is checked before memory is committed: the body is already capped
//! (see [`super::MAX_BODY_BYTES`]); an image's size is read from its header and
//! refused when decoding it would take more than [`MAX_DECODE_BYTES`], before any
//! pixel is decoded. Decoding
//! itself is [`crate::preprocess::decode`], the same as `digitnet predict`'s.

use axum::body::Bytes;
use serde::Deserialize;

use super::error::ApiError;
use super::limits::Permit;
use super::multipart;
use crate::preprocess::{self, Gray};

/// The most memory decoding one upload may take: half the decoding budget, a PNG of
/// 4096x4096 (16 bytes a pixel) or a JPEG up to the decoder's own limit of 50
/// megapixels (read by its luma, 2 bytes a pixel). A server answers many clients at
/// once, so a PNG may be smaller than what `predict` reads from disk.
pub const MAX_DECODE_BYTES: u64 = 256 << 20;

/// The widest or tallest picture sent as JSON pixels (a canvas) accepted.
pub const MAX_JSON_SIDE: u32 = 4096;

/// The body formats the API understands, as its `Content-Type` names them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BodyKind {
    Image,
    Json,
    /// A form whose parts are delimited by this boundary; its one file is an image.
    Form(String),
}

/// What a body holds once a form's file is taken out of it: what is decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payload {
    Image,
    Json,
}

/// The payload of a body of `kind`: the body itself, or a form's one file.
pub async fn unpack(kind: BodyKind, body: Bytes) -> Result<(Payload, Bytes), ApiError> {
    match kind {
        BodyKind::Image => Ok((Payload::Image, body)),
        BodyKind::Json => Ok((Payload::Json, body)),
        BodyKind::Form(boundary) => Ok((
            Payload::Image,
            multipart::single_file(body, &boundary).await?,
        )),
    }
}

/// The image types accepted as a body.
const IMAGE_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/bmp", "image/gif"];

impl BodyKind {
    /// The kind named by a `Content-Type` header value (parameters such as
    /// `; charset=utf-8` ignored), or a 415 that says what is accepted.
    pub fn from_content_type(value: Option<&str>) -> Result<Self, ApiError> {
        let essence = value
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase());
        match essence.as_deref() {
            Some("application/json") => Ok(BodyKind::Json),
            Some(t) if IMAGE_TYPES.contains(&t) => Ok(BodyKind::Image),
            Some("multipart/form-data") => {
                Ok(BodyKind::Form(multipart::boundary(value.unwrap_or(""))?))
            }
            other => Err(ApiError::unsupported_type(format!(
                "unsupported content type {}: send image/png (or image/jpeg, image/bmp, \
                 image/gif), multipart/form-data with one image file, or application/json \
                 ({{\"width\":W,\"height\":H,\"pixels\":[W*H values 0..255]}})",
                other.map_or("(none)".to_string(), |t| format!("'{t}'"))
            ))),
        }
    }
}

/// Decodes `body` as `kind` into a grey picture.
pub fn read_image(kind: Payload, body: &[u8]) -> Result<Gray, ApiError> {
    read_image_held(kind, body).map(|(image, _)| image)
}

/// [`read_image`], with the share of the decoding budget an image file took (see
/// [`super::limits`]): keep it while the picture is prepared and answered.
pub fn read_image_held(
    kind: Payload,
    body: &[u8],
) -> Result<(Gray, Option<Permit<'static>>), ApiError> {
    match kind {
        Payload::Image => decode_image_held(body).map(|(image, held)| (image, Some(held))),
        Payload::Json => pixels_from_json(body).map(|image| (image, None)),
    }
}

/// Decodes an image file, refusing it from its header when it is larger than the
/// decoder reads or decoding it would take more than [`MAX_DECODE_BYTES`] (413);
/// anything unreadable is a 400.
pub fn decode_image(body: &[u8]) -> Result<Gray, ApiError> {
    decode_image_held(body).map(|(image, _)| image)
}

/// [`decode_image`], after reserving its peak memory from the decoding budget (from
/// the header's size); the reservation is returned with the picture.
fn decode_image_held(body: &[u8]) -> Result<(Gray, Permit<'static>), ApiError> {
    let origin = "the uploaded image";
    let footprint =
        preprocess::footprint(body, origin).map_err(|e| ApiError::bad_request(e.to_string()))?;
    check_footprint(footprint)?;
    let held = super::limits::decode_permit(footprint.peak_bytes)?;
    let image =
        preprocess::decode(body, origin).map_err(|e| ApiError::bad_request(e.to_string()))?;
    Ok((image, held))
}

/// The JSON body: grey values row by row, 0 black to 255 white.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PixelsBody {
    width: u32,
    height: u32,
    pixels: Vec<f32>,
}

/// Parses the JSON body into a grey picture, checking shape and values.
pub fn pixels_from_json(body: &[u8]) -> Result<Gray, ApiError> {
    let parsed: PixelsBody = serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(format!(
            "malformed JSON body ({e}); expected {{\"width\":W,\"height\":H,\"pixels\":[W*H \
                values 0..255]}}"
        ))
    })?;
    let PixelsBody {
        width,
        height,
        pixels,
    } = parsed;
    if width == 0 || height == 0 {
        return Err(ApiError::unprocessable(format!(
            "width and height must be at least 1, got {width}x{height}"
        )));
    }
    if width.max(height) > MAX_JSON_SIDE {
        return Err(ApiError::too_large(format!(
            "the picture is {width}x{height} pixels; the limit is {MAX_JSON_SIDE} pixels a \
             side for JSON pixels"
        )));
    }
    let expected = width as usize * height as usize;
    if pixels.len() != expected {
        return Err(ApiError::unprocessable(format!(
            "pixels: expected {expected} values for {width}x{height}, got {}",
            pixels.len()
        )));
    }
    if let Some(i) = pixels.iter().position(|v| !(0.0..=255.0).contains(v)) {
        return Err(ApiError::unprocessable(format!(
            "pixels[{i}] is {}, which should be a grey value from 0 to 255",
            pixels[i]
        )));
    }
    Ok(Gray::new(
        width as usize,
        height as usize,
        pixels.iter().map(|v| v / 255.0).collect(),
    ))
}

/// 413 when the picture is larger than the decoder reads (as `predict` says it) or
/// decoding it would take more than [`MAX_DECODE_BYTES`].
fn check_footprint(footprint: preprocess::Footprint) -> Result<(), ApiError> {
    let preprocess::Footprint {
        width,
        height,
        peak_bytes,
    } = footprint;
    if preprocess::too_large(width, height) {
        return Err(ApiError::too_large(format!(
            "the image is {width}x{height} pixels; the limit is {} pixels a side and {} \
             megapixels",
            preprocess::MAX_SIDE,
            preprocess::MAX_PIXELS / 1_000_000
        )));
    }
    if peak_bytes > MAX_DECODE_BYTES {
        return Err(ApiError::too_large(format!(
            "the image is {width}x{height} pixels, which would take {} MiB to decode; one \
             upload may take {} MiB (a PNG of 4096x4096, a JPEG of 50 megapixels)",
            peak_bytes.div_ceil(1 << 20),
            MAX_DECODE_BYTES >> 20
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;
    use image::{GrayImage, ImageFormat};
    use std::io::Cursor;

    fn png_bytes(img: &GrayImage) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn content_types() {
        assert_eq!(
            BodyKind::from_content_type(Some("image/png")),
            Ok(BodyKind::Image)
        );
        assert_eq!(
            BodyKind::from_content_type(Some("image/jpeg")),
            Ok(BodyKind::Image)
        );
        assert_eq!(
            BodyKind::from_content_type(Some("Application/JSON; charset=utf-8")),
            Ok(BodyKind::Json)
        );
        assert_eq!(
            BodyKind::from_content_type(Some("multipart/form-data; boundary=xyz")),
            Ok(BodyKind::Form("xyz".into()))
        );
        let err = BodyKind::from_content_type(Some("multipart/form-data")).unwrap_err();
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        let err = BodyKind::from_content_type(Some("text/plain")).unwrap_err();
        assert_eq!(err.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert!(err.message.contains("'text/plain'"), "{}", err.message);
        let err = BodyKind::from_content_type(None).unwrap_err();
        assert!(err.message.contains("(none)"), "{}", err.message);
    }

    #[test]
    fn json_pixels_become_a_grey_image() {
        let img = pixels_from_json(br#"{"width":2,"height":1,"pixels":[0,255]}"#).unwrap();
        assert_eq!((img.width(), img.height()), (2, 1));
        assert_eq!(img.pixels(), [0.0, 1.0]);
    }

    #[test]
    fn json_errors_name_the_problem() {
        let status = |body: &[u8]| pixels_from_json(body).unwrap_err().status;
        assert_eq!(status(b"{not json"), StatusCode::BAD_REQUEST);
        assert_eq!(
            status(br#"{"width":2,"height":1}"#),
            StatusCode::BAD_REQUEST
        );
        let err = pixels_from_json(br#"{"width":2,"height":2,"pixels":[1,2,3]}"#).unwrap_err();
        assert_eq!(err.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(err.message.contains("expected 4 values"), "{}", err.message);
        let err = pixels_from_json(br#"{"width":1,"height":1,"pixels":[300]}"#).unwrap_err();
        assert!(err.message.contains("pixels[0] is 300"), "{}", err.message);
        assert_eq!(
            status(br#"{"width":0,"height":1,"pixels":[]}"#),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            status(br#"{"width":5000,"height":1,"pixels":[]}"#),
            StatusCode::PAYLOAD_TOO_LARGE
        );
    }

    #[test]
    fn png_round_trips() {
        let img = GrayImage::from_fn(3, 2, |x, y| image::Luma([(x * 100 + y * 51) as u8]));
        let decoded = decode_image(&png_bytes(&img)).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (3, 2));
        let expected: Vec<f32> = img.as_raw().iter().map(|&v| f32::from(v) / 255.0).collect();
        assert_eq!(decoded.pixels(), expected);
    }

    #[test]
    fn pictures_too_large_to_decode_are_too_large() {
        let footprint = |width, height, per_pixel| preprocess::Footprint {
            width,
            height,
            peak_bytes: u64::from(width) * u64::from(height) * per_pixel,
        };
        // A 4096x4096 PNG fits, one pixel more does not; a 48-megapixel JPEG fits.
        let png = preprocess::PEAK_BYTES_PER_PIXEL;
        assert!(check_footprint(footprint(4096, 4096, png)).is_ok());
        let err = check_footprint(footprint(4097, 4096, png)).unwrap_err();
        assert_eq!(err.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(err.message.contains("4097x4096"), "{}", err.message);
        assert!(err.message.contains("257 MiB"), "{}", err.message);
        let jpeg = preprocess::LUMA_PEAK_BYTES_PER_PIXEL;
        assert!(check_footprint(footprint(8000, 6000, jpeg)).is_ok());
        // Beyond the decoder's own limits, whatever the format.
        let err = check_footprint(footprint(10_001, 10, jpeg)).unwrap_err();
        assert!(
            err.message.contains("10000 pixels a side"),
            "{}",
            err.message
        );
    }

    #[test]
    fn garbage_is_not_a_png() {
        let err = decode_image(b"hello").unwrap_err();
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
    }
}
