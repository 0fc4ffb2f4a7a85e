//! The JSON API of `digitnet serve`, against the library's server on an
//! ephemeral loopback port: good requests, bad requests, many at once.

mod serve_support;

use std::io::Cursor;
use std::sync::{Arc, OnceLock};

use digitnet::data::{self, Dataset};
use digitnet::preprocess::Gray;
use digitnet::serve::{Classifier, MAX_JSON_BYTES};
use image::{GrayImage, ImageFormat, Luma};
use serde_json::{Value, json};
use serve_support::{TestServer, post_json, request};

/// One classifier for the whole file (training it takes about a second).
fn classifier() -> Arc<Classifier> {
    static SHARED: OnceLock<Arc<Classifier>> = OnceLock::new();
    SHARED
        .get_or_init(|| Arc::new(Classifier::trained_on_digits(0.6).unwrap()))
        .clone()
}

fn digits() -> &'static Dataset {
    static DIGITS: OnceLock<Dataset> = OnceLock::new();
    DIGITS.get_or_init(|| data::digits::load().unwrap())
}

/// The rows the default model did not train on (its own seeded 75/25 split).
fn held_out_rows() -> Vec<usize> {
    data::shuffle_split(digits().len(), 0.25, 0).unwrap().test
}

/// An 8x8 digit (0..16 ink) drawn as a person would scan it: dark ink on white
/// paper, each cell `cell` pixels wide, with a wide margin.
fn render(image: &[f32], cell: u32, margin: u32) -> GrayImage {
    let side = 8 * cell + 2 * margin;
    GrayImage::from_fn(side, side, |x, y| {
        let inside = |v: u32| v >= margin && v < margin + 8 * cell;
        if !inside(x) || !inside(y) {
            return Luma([255]);
        }
        let v = image[(((y - margin) / cell) * 8 + (x - margin) / cell) as usize];
        Luma([255 - (v * 255.0 / 16.0).round() as u8])
    })
}

fn png(img: &GrayImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

fn as_gray(img: &GrayImage) -> Gray {
    Gray::new(
        img.width() as usize,
        img.height() as usize,
        img.as_raw().iter().map(|&v| f32::from(v) / 255.0).collect(),
    )
}

fn post_png(server: &TestServer, bytes: &[u8]) -> serve_support::Response {
    request(
        server.addr,
        "POST",
        "/api/predict",
        Some("image/png"),
        bytes,
    )
}

#[test]
fn a_png_is_read_exactly_as_the_library_reads_it() {
    let server = TestServer::start(classifier());
    let rows = held_out_rows();
    let mut right = 0;
    for &row in &rows[..60] {
        let img = render(digits().image(row), 10, 25);
        let answer = post_png(&server, &png(&img));
        assert_eq!(
            answer.status,
            200,
            "{}",
            String::from_utf8_lossy(&answer.body)
        );
        let body = answer.json();
        let expected: Value = serde_json::from_str(
            &serde_json::to_string(&classifier().answer(&as_gray(&img))).unwrap(),
        )
        .unwrap();
        assert_eq!(body, expected, "row {row}");
        let probabilities = body["probabilities"].as_array().unwrap();
        assert_eq!(probabilities.len(), 10);
        let sum: f64 = probabilities.iter().map(|p| p.as_f64().unwrap()).sum();
        assert!((sum - 1.0).abs() < 1e-4, "probabilities sum to {sum}");
        assert_eq!(body["input"].as_array().unwrap().len(), 64);
        assert_eq!(body["input_width"], 8);
        assert_eq!(body["input_max"], 16.0);
        if body["digit"] == u64::from(digits().labels[row]) {
            right += 1;
        }
    }
    // Scanned-looking copies of held-out digits, re-prepared from scratch.
    // Measured: 53 of 60 (the 8x8 preparation makes the 32x32 box binary, so the
    // grey levels of the original cells are lost on the way).
    eprintln!("{right} of 60 re-prepared held-out digits read right");
    assert!(right >= 50, "only {right} of 60 held-out digits read right");
}

#[test]
fn json_pixels_give_the_same_answer_as_the_png() {
    let server = TestServer::start(classifier());
    let row = held_out_rows()[0];
    let img = render(digits().image(row), 6, 10);
    let from_png = post_png(&server, &png(&img)).json();
    let pixels: Vec<u8> = img.as_raw().clone();
    let from_json = post_json(
        server.addr,
        &json!({"width": img.width(), "height": img.height(), "pixels": pixels}),
    );
    assert_eq!(from_json.status, 200);
    assert_eq!(from_json.json(), from_png);
    assert!(from_png["digit"].is_u64(), "{from_png}");
}

#[test]
fn confidence_below_the_threshold_is_flagged_uncertain() {
    let img = render(digits().image(held_out_rows()[1]), 6, 10);
    let ask = |min_confidence: f32| {
        let c = (*classifier()).clone().with_min_confidence(min_confidence);
        let server = TestServer::start(Arc::new(c));
        post_png(&server, &png(&img)).json()
    };
    let strict = ask(1.0);
    let lenient = ask(0.0);
    assert_eq!(strict["uncertain"], true, "{strict}");
    assert_eq!(lenient["uncertain"], false, "{lenient}");
    assert_eq!(strict["confidence"], lenient["confidence"]);
    let best = strict["probabilities"].as_array().unwrap()
        [strict["digit"].as_u64().unwrap() as usize]
        .clone();
    assert_eq!(strict["confidence"], best);
}

#[test]
fn a_blank_picture_is_an_answer_without_a_digit() {
    let server = TestServer::start(classifier());
    let answer = post_json(
        server.addr,
        &json!({"width": 3, "height": 2, "pixels": [255, 255, 255, 255, 255, 255]}),
    );
    assert_eq!(answer.status, 200);
    let body = answer.json();
    assert_eq!(body["digit"], Value::Null);
    assert_eq!(body["uncertain"], true);
    assert!(body["reason"].as_str().unwrap().contains("blank"), "{body}");
}

#[test]
fn model_health_and_page_routes() {
    let server = TestServer::start(classifier());
    let health = request(server.addr, "GET", "/healthz", None, b"");
    assert_eq!(
        (health.status, health.json()),
        (200, json!({"status": "ok"}))
    );

    let model = request(server.addr, "GET", "/api/model", None, b"").json();
    assert_eq!(model["sizes"], json!([64, 200, 10]));
    assert_eq!(model["training"]["dataset"], "digits");
    assert_eq!(model["input"]["width"], 8);
    assert_eq!(model["input"]["preparation"], "optdigits");
    assert!(
        model["training"]["test_accuracy"].as_f64().unwrap() > 0.9,
        "{model}"
    );
    assert_eq!(model["min_confidence"], 0.6);

    let page = request(server.addr, "GET", "/", None, b"");
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(String::from_utf8_lossy(&page.body).contains(r#"<canvas id="pad""#));
    for (path, kind) in [("/app.js", "text/javascript"), ("/style.css", "text/css")] {
        let answer = request(server.addr, "GET", path, None, b"");
        assert_eq!(answer.status, 200, "{path}");
        assert!(
            answer.header("content-type").unwrap().starts_with(kind),
            "{path}"
        );
    }
}

#[test]
fn bad_requests_get_a_json_error_and_a_4xx() {
    let server = TestServer::start(classifier());
    let addr = server.addr;
    let predict = |content_type: Option<&str>, body: &[u8]| {
        request(addr, "POST", "/api/predict", content_type, body)
    };
    let cases: Vec<(&str, serve_support::Response, u16, &str)> = vec![
        (
            "text/plain",
            predict(Some("text/plain"), b"7"),
            415,
            "unsupported content type 'text/plain'",
        ),
        ("no content type", predict(None, b"{}"), 415, "(none)"),
        (
            "malformed JSON",
            predict(Some("application/json"), b"{\"width\": 2,"),
            400,
            "malformed JSON",
        ),
        (
            "missing field",
            predict(Some("application/json"), br#"{"width":1,"height":1}"#),
            400,
            "missing field `pixels`",
        ),
        (
            "wrong count",
            predict(
                Some("application/json"),
                br#"{"width":2,"height":2,"pixels":[0,0,0]}"#,
            ),
            422,
            "expected 4 values for 2x2, got 3",
        ),
        (
            "out of range",
            predict(
                Some("application/json"),
                br#"{"width":1,"height":2,"pixels":[0,256]}"#,
            ),
            422,
            "pixels[1] is 256",
        ),
        (
            "zero size",
            predict(
                Some("application/json"),
                br#"{"width":0,"height":0,"pixels":[]}"#,
            ),
            422,
            "at least 1",
        ),
        (
            "not an image",
            predict(Some("image/png"), b"definitely not a png"),
            400,
            "image",
        ),
        (
            "huge PNG header",
            predict(Some("image/png"), &png_header(30_000, 30_000)),
            413,
            "30000x30000",
        ),
        (
            "too wide JSON",
            predict(
                Some("application/json"),
                br#"{"width":5000,"height":1,"pixels":[]}"#,
            ),
            413,
            "5000x1",
        ),
        (
            "JSON body over 1 MiB",
            predict(Some("application/json"), &vec![b' '; MAX_JSON_BYTES + 1]),
            413,
            "larger than the limit",
        ),
        (
            "unknown path",
            request(addr, "GET", "/nope", None, b""),
            404,
            "no such page",
        ),
        (
            "wrong method",
            request(addr, "GET", "/api/predict", None, b""),
            405,
            "method not allowed",
        ),
    ];
    for (name, answer, status, words) in cases {
        assert_eq!(
            answer.status,
            status,
            "{name}: {}",
            String::from_utf8_lossy(&answer.body)
        );
        let message = answer.error_message();
        assert!(
            message.contains(words),
            "{name}: {message:?} lacks {words:?}"
        );
    }
}

/// A PNG that claims to be `width x height` in its header and holds almost no data:
/// a few bytes on the wire that would be gigabytes once decoded.
fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut header = width.to_be_bytes().to_vec();
    header.extend(height.to_be_bytes());
    header.extend([8, 0, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [
        (&b"IHDR"[..], header),
        (b"IDAT", b"\x78\x9c\x03\x00\x00\x00\x00\x01".to_vec()),
        (b"IEND", Vec::new()),
    ] {
        out.extend((data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend(kind);
        out.extend(&data);
        let crc = crc32fast::hash(&out[start..]);
        out.extend(crc.to_be_bytes());
    }
    out
}

#[test]
fn many_clients_at_once_all_get_the_same_answer() {
    let server = TestServer::start(classifier());
    let addr = server.addr;
    let body = png(&render(digits().image(held_out_rows()[2]), 8, 12));
    let expected = post_png(&server, &body).json();
    let threads: Vec<_> = (0..64)
        .map(|_| {
            let body = body.clone();
            std::thread::spawn(move || {
                (0..5)
                    .map(|_| request(addr, "POST", "/api/predict", Some("image/png"), &body).json())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for t in threads {
        for answer in t.join().unwrap() {
            assert_eq!(answer, expected);
        }
    }
}
