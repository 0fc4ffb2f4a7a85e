//! `multipart/form-data` bodies (RFC 7578), as `curl -F photo=@x.jpg` and an HTML
//! form with a file input send them, read with `multer`: the one file the form
//! carries.
//!
//! The body is already whole in memory and capped (see [`super::MAX_BODY_BYTES`]),
//! so it is handed to the parser as a one-chunk stream. A body with no file, or with
//! more than one, is refused with a message that says what to send.

use std::convert::Infallible;

use axum::body::Bytes;

use super::error::ApiError;

/// The `boundary` parameter of a `multipart/form-data` content type, or a 400.
pub fn boundary(content_type: &str) -> Result<String, ApiError> {
    multer::parse_boundary(content_type).map_err(|_| {
        ApiError::bad_request(
            "multipart/form-data without a boundary parameter in its content type",
        )
    })
}

/// The one file in a form body: the only part with a file name, or the only part.
pub async fn single_file(body: Bytes, boundary: &str) -> Result<Bytes, ApiError> {
    let malformed =
        |e: multer::Error| ApiError::bad_request(format!("malformed multipart body: {e}"));
    let chunk = futures_util::stream::once(async move { Ok::<Bytes, Infallible>(body) });
    let mut form = multer::Multipart::new(chunk, boundary);
    let (mut files, mut fields) = (Vec::new(), Vec::new());
    while let Some(part) = form.next_field().await.map_err(malformed)? {
        let is_file = part.file_name().is_some();
        let data = part.bytes().await.map_err(malformed)?;
        if is_file {
            files.push(data)
        } else {
            fields.push(data)
        }
    }
    match (files.len(), fields.len()) {
        (1, _) => Ok(files.swap_remove(0)),
        (0, 1) => Ok(fields.swap_remove(0)),
        (0, 0) => Err(ApiError::bad_request("the form holds no part")),
        (0, n) => Err(ApiError::bad_request(format!(
            "the form holds {n} fields and no file; send one image file (curl -F photo=@x.jpg)"
        ))),
        (n, _) => Err(ApiError::bad_request(format!(
            "the form holds {n} files; send one image file at a time"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A body as curl builds it for `-F note=hi -F photo=@x.png`.
    fn curl_body(file: &[u8]) -> Vec<u8> {
        let mut body = b"--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n\
            --XyZ\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"x.png\"\r\n\
            Content-Type: image/png\r\n\r\n"
            .to_vec();
        body.extend_from_slice(file);
        body.extend_from_slice(b"\r\n--XyZ--\r\n");
        body
    }

    fn read(body: Vec<u8>) -> Result<Bytes, ApiError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(single_file(Bytes::from(body), "XyZ"))
    }

    #[test]
    fn the_boundary_comes_from_the_content_type() {
        assert_eq!(
            boundary("multipart/form-data; boundary=\"a b\"").unwrap(),
            "a b"
        );
        assert_eq!(
            boundary("multipart/form-data; boundary=XyZ").unwrap(),
            "XyZ"
        );
        assert!(boundary("multipart/form-data").is_err());
    }

    #[test]
    fn the_file_part_is_found_among_fields_with_its_bytes_intact() {
        // Bytes that look like line breaks and a boundary's start stay in the file.
        let file = b"\x89PNG\r\n\r\n--Xy\x00\xff".to_vec();
        assert_eq!(read(curl_body(&file)).unwrap(), file);
    }

    #[test]
    fn a_single_part_without_a_file_name_is_the_file() {
        let body =
            b"--XyZ\r\nContent-Disposition: form-data; name=\"photo\"\r\n\r\nGIF8\r\n--XyZ--\r\n";
        assert_eq!(read(body.to_vec()).unwrap(), &b"GIF8"[..]);
    }

    #[test]
    fn forms_without_exactly_one_file_are_refused_with_what_to_send() {
        let two_fields = b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n\
            --XyZ\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\n2\r\n--XyZ--\r\n";
        let err = read(two_fields.to_vec()).unwrap_err();
        assert!(err.message.contains("no file"), "{}", err.message);
        let file =
            b"--XyZ\r\nContent-Disposition: form-data; name=\"p\"; filename=\"a.png\"\r\n\r\n1\r\n";
        let mut two_files = file.to_vec();
        two_files.extend_from_slice(file);
        two_files.extend_from_slice(b"--XyZ--\r\n");
        let err = read(two_files).unwrap_err();
        assert!(err.message.contains("2 files"), "{}", err.message);
        let err = read(b"--XyZ--\r\n".to_vec()).unwrap_err();
        assert!(err.message.contains("no part"), "{}", err.message);
        let err = read(b"no boundary here".to_vec()).unwrap_err();
        assert!(err.message.contains("malformed"), "{}", err.message);
    }
}
