//! `multipart/form-data` bodies (RFC 7578), as `curl -F photo=@x.jpg` and an HTML
//! form with a file input send them: the one file the form carries.
//!
//! The body is already whole in memory and capped (see [`super::MAX_BODY_BYTES`]),
//! so the parts are found by searching for the boundary; nothing is copied. A body
//! with no file, or with more than one, is refused with a message that says what to
//! send.

use super::error::ApiError;

/// The longest boundary RFC 2046 allows.
const MAX_BOUNDARY: usize = 70;

/// One part of a form: its field name, file name and content type when given, and
/// its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part<'a> {
    pub name: Option<String>,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub data: &'a [u8],
}

/// The `boundary` parameter of a `multipart/form-data` content type, or a 400.
pub fn boundary(content_type: &str) -> Result<String, ApiError> {
    let value = content_type
        .split(';')
        .skip(1)
        .filter_map(|param| param.split_once('='))
        .find(|(key, _)| key.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, value)| value.trim().trim_matches('"').to_string());
    match value {
        Some(b) if !b.is_empty() && b.len() <= MAX_BOUNDARY => Ok(b),
        Some(b) => Err(ApiError::bad_request(format!(
            "the multipart boundary is {} characters long; it should be 1 to {MAX_BOUNDARY}",
            b.len()
        ))),
        None => Err(ApiError::bad_request(
            "multipart/form-data without a boundary parameter in its content type",
        )),
    }
}

/// The one file in a form body: the only part with a file name, or the only part.
pub fn single_file<'a>(body: &'a [u8], boundary: &str) -> Result<Part<'a>, ApiError> {
    let parts = parts(body, boundary)?;
    let files: Vec<&Part> = parts.iter().filter(|p| p.filename.is_some()).collect();
    match (files.as_slice(), parts.as_slice()) {
        ([file], _) => Ok((*file).clone()),
        ([], [only]) => Ok(only.clone()),
        ([], []) => Err(ApiError::bad_request("the form holds no part")),
        ([], _) => Err(ApiError::bad_request(format!(
            "the form holds {} fields and no file; send one image file (curl -F photo=@x.jpg)",
            parts.len()
        ))),
        (many, _) => Err(ApiError::bad_request(format!(
            "the form holds {} files; send one image file at a time",
            many.len()
        ))),
    }
}

/// Every part of a form body delimited by `boundary`.
pub fn parts<'a>(body: &'a [u8], boundary: &str) -> Result<Vec<Part<'a>>, ApiError> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let malformed = |what: &str| ApiError::bad_request(format!("malformed multipart body: {what}"));
    let mut at = find(body, delimiter, 0).ok_or_else(|| malformed("no boundary found"))?;
    let mut parts = Vec::new();
    loop {
        at += delimiter.len();
        if body[at..].starts_with(b"--") {
            return Ok(parts);
        }
        // Transport padding (spaces, tabs) may follow a delimiter before its line break.
        while matches!(body.get(at), Some(b' ' | b'\t')) {
            at += 1;
        }
        if !body[at..].starts_with(b"\r\n") {
            return Err(malformed("a boundary line does not end with CRLF"));
        }
        at += 2;
        let head_end =
            find(body, b"\r\n\r\n", at).ok_or_else(|| malformed("a part's headers do not end"))?;
        let headers = std::str::from_utf8(&body[at..head_end])
            .map_err(|_| malformed("a part's headers are not text"))?;
        let data_start = head_end + 4;
        let mut close = b"\r\n".to_vec();
        close.extend_from_slice(delimiter);
        let data_end = find(body, &close, data_start)
            .ok_or_else(|| malformed("the last part is not closed by the boundary"))?;
        parts.push(part(headers, &body[data_start..data_end]));
        at = data_end + 2;
    }
}

/// A part from its header lines and bytes.
fn part<'a>(headers: &str, data: &'a [u8]) -> Part<'a> {
    let mut out = Part {
        name: None,
        filename: None,
        content_type: None,
        data,
    };
    for line in headers.split("\r\n") {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let key = key.trim();
        if key.eq_ignore_ascii_case("content-disposition") {
            out.name = disposition_param(value, "name");
            out.filename = disposition_param(value, "filename");
        } else if key.eq_ignore_ascii_case("content-type") {
            out.content_type = Some(value.trim().to_string());
        }
    }
    out
}

/// Parameter `key` of a `Content-Disposition` value (`form-data; name="photo"`),
/// quoted or not.
fn disposition_param(value: &str, key: &str) -> Option<String> {
    value
        .split(';')
        .skip(1)
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(key))
        .map(|(_, v)| v.trim().trim_matches('"').to_string())
}

/// The first index at or after `from` where `needle` occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from > haystack.len() {
        return None;
    }
    haystack[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    /// A body as curl 8 sends it for `-F note=hi -F photo=@digit.png`.
    fn curl_body(file: &[u8]) -> Vec<u8> {
        let mut body = b"--------------------------abc123\r\n\
            Content-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n\
            --------------------------abc123\r\n\
            Content-Disposition: form-data; name=\"photo\"; filename=\"digit.png\"\r\n\
            Content-Type: image/png\r\n\r\n"
            .to_vec();
        body.extend_from_slice(file);
        body.extend_from_slice(b"\r\n--------------------------abc123--\r\n");
        body
    }

    #[test]
    fn the_boundary_comes_from_the_content_type() {
        let ct = "multipart/form-data; boundary=------------------------abc123";
        assert_eq!(boundary(ct).unwrap(), "------------------------abc123");
        let quoted = "multipart/form-data; charset=utf-8; Boundary=\"x y\"";
        assert_eq!(boundary(quoted).unwrap(), "x y");
        let err = boundary("multipart/form-data").unwrap_err();
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        assert!(
            err.message.contains("without a boundary"),
            "{}",
            err.message
        );
        assert!(boundary(&format!("multipart/form-data; boundary={}", "b".repeat(71))).is_err());
    }

    #[test]
    fn the_file_part_is_found_among_fields_with_its_bytes_intact() {
        // Bytes that look like line breaks and dashes stay in the file.
        let file = b"\x89PNG\r\n\x1a\n--not-the-boundary\r\n\r\n\x00\xff";
        let body = curl_body(file);
        let all = parts(&body, "------------------------abc123").unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].name.as_deref(), Some("note"));
        assert_eq!(all[0].data, b"hi");
        let photo = single_file(&body, "------------------------abc123").unwrap();
        assert_eq!(photo.name.as_deref(), Some("photo"));
        assert_eq!(photo.filename.as_deref(), Some("digit.png"));
        assert_eq!(photo.content_type.as_deref(), Some("image/png"));
        assert_eq!(photo.data, file);
    }

    #[test]
    fn a_single_part_without_a_file_name_is_the_file() {
        let body = b"preamble\r\n--B\r\ncontent-disposition: form-data; name=f\r\n\r\nxyz\r\n--B--";
        let only = single_file(body, "B").unwrap();
        assert_eq!((only.name.as_deref(), only.data), (Some("f"), &b"xyz"[..]));
    }

    #[test]
    fn forms_without_exactly_one_file_are_refused_with_what_to_send() {
        let message = |body: &[u8]| single_file(body, "B").unwrap_err().message;
        let two_fields = b"--B\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n\
            --B\r\nContent-Disposition: form-data; name=b\r\n\r\n2\r\n--B--\r\n";
        assert!(message(two_fields).contains("2 fields and no file"));
        let two_files = b"--B\r\nContent-Disposition: form-data; name=a; filename=x\r\n\r\n1\r\n\
            --B\r\nContent-Disposition: form-data; name=b; filename=y\r\n\r\n2\r\n--B--\r\n";
        assert!(message(two_files).contains("2 files"));
        assert!(message(b"--B--\r\n").contains("no part"));
        assert!(message(b"no boundary here").contains("no boundary found"));
        assert!(
            message(b"--B\r\nContent-Disposition: form-data\r\n\r\nabc").contains("not closed")
        );
        assert!(message(b"--B\r\nContent-Disposition: form-data").contains("headers do not end"));
        assert!(message(b"--Bxx").contains("CRLF"));
        assert!(message(b"--B").contains("CRLF"));
    }
}
