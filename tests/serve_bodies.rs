//! Large bodies: a phone's photo POSTed as it is (4000x3000, several MB) is read; a
//! body over the cap gets a 413 that names it; and concurrent bodies together stay
//! within the server's body budget (a small one here), the rest waiting, then a 503.

mod serve_support;

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use digitnet::Model;
use digitnet::data::mnist;
use digitnet::preprocess;
use digitnet::serve::limits::Budget;
use digitnet::serve::{Classifier, MAX_BODY_BYTES, MAX_JSON_BYTES, ServerLimits};
use digitnet::synth;
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use serve_support::{Response, TestServer, read_response, request};

const MIB: usize = 1 << 20;

fn mnist_classifier() -> Arc<Classifier> {
    Arc::new(Classifier::new(
        Model::builtin_mnist().unwrap(),
        "built-in",
        0.6,
    ))
}

/// A connection that has sent a request's head (and maybe part of its body).
fn open(addr: SocketAddr, head: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream
        .set_write_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    stream
}

fn head_with_length(length: usize, extra: &str) -> String {
    format!(
        "POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n\
         Content-Length: {length}\r\nConnection: close\r\n{extra}\r\n"
    )
}

/// POSTs `total` bytes of `content_type` in chunks of 64 KiB (no `Content-Length`);
/// the server may answer and close before all are sent.
fn post_chunked(addr: SocketAddr, content_type: &str, total: usize) -> Response {
    let mut stream = open(
        addr,
        &format!(
            "POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n\
             Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        ),
    );
    let chunk = vec![b' '; 64 << 10];
    let mut sent = 0;
    while sent < total {
        let n = chunk.len().min(total - sent);
        let frame = [format!("{n:x}\r\n").as_bytes(), &chunk[..n], b"\r\n"].concat();
        if stream.write_all(&frame).is_err() {
            break;
        }
        sent += n;
    }
    let _ = stream.write_all(b"0\r\n\r\n");
    read_response(&mut stream)
}

/// Waits (up to 10 s) until `budget` holds `bytes`.
fn wait_for_in_use(budget: &Budget, bytes: u64) {
    let start = Instant::now();
    while budget.in_use() != bytes {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the budget holds {} bytes, expected {bytes}",
            budget.in_use()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A JPEG photo of MNIST test digit `i` (`size` pixels, `(grain, quality)`, drawn with
/// `seed`) and its label.
fn photo_of_test_digit(
    i: usize,
    size: (usize, usize),
    grain_quality: (f32, u8),
    seed: u64,
) -> (Vec<u8>, u8) {
    let test = mnist::test().unwrap();
    let label = test.labels[i];
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let photo = synth::single_with(test.image(i), label, size, Some(grain_quality), &mut rng);
    (photo.jpeg, label)
}

#[test]
fn a_phone_photo_sent_as_it_is_is_read() {
    // A 12-megapixel photo at quality 95 with grain: the size of a phone's JPEG.
    let (jpeg, label) = photo_of_test_digit(0, (4000, 3000), (3.5, 95), 15);
    assert!(
        (4_000_000..=7_000_000).contains(&jpeg.len()),
        "the photo is {} bytes",
        jpeg.len()
    );
    let classifier = mnist_classifier();
    // The library's own reading of the same file, to compare with.
    let expected = classifier.answer(&preprocess::decode(&jpeg, "photo").unwrap());
    assert_eq!(expected.digit, Some(usize::from(label)));
    let server = TestServer::start(Arc::clone(&classifier));

    let answer = request(
        server.addr,
        "POST",
        "/api/predict",
        Some("image/jpeg"),
        &jpeg,
    );
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    let json = answer.json();
    assert_eq!(json["digit"], usize::from(label));
    let probabilities: Vec<f64> = serde_json::from_value(json["probabilities"].clone()).unwrap();
    for (got, want) in probabilities.iter().zip(&expected.probabilities) {
        assert!(
            (got - f64::from(*want)).abs() < 1e-6,
            "{got} against {want}"
        );
    }

    // As `curl -F photo=@photo.jpg` sends it.
    let mut form = b"--XyZ\r\nContent-Disposition: form-data; name=\"photo\"; \
        filename=\"photo.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
        .to_vec();
    form.extend_from_slice(&jpeg);
    form.extend_from_slice(b"\r\n--XyZ--\r\n");
    let form_type = "multipart/form-data; boundary=XyZ";
    let answer = request(server.addr, "POST", "/api/predict", Some(form_type), &form);
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    assert_eq!(answer.json()["probabilities"], json["probabilities"]);

    let path = "/api/predict?number=true";
    let answer = request(server.addr, "POST", path, Some("image/jpeg"), &jpeg);
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    assert_eq!(answer.json()["number"], label.to_string());
    // Answered, every reservation is back.
    wait_for_in_use(&digitnet::serve::limits::BODIES, 0);
}

/// A photo from a 48-megapixel phone camera (8000x6000, quality 85, light grain) is
/// read, while a PNG of 5000x5000 (a few KB, 400 MB to decode at 16 bytes a pixel)
/// gets a 413 naming what decoding it would take.
#[test]
fn a_48_megapixel_photo_is_read_and_a_png_too_large_to_decode_is_refused() {
    let (jpeg, label) = photo_of_test_digit(1, (8000, 6000), (1.5, 85), 48);
    assert!(jpeg.len() <= MAX_BODY_BYTES, "{} bytes", jpeg.len());
    let server = TestServer::start(mnist_classifier());
    let answer = request(
        server.addr,
        "POST",
        "/api/predict",
        Some("image/jpeg"),
        &jpeg,
    );
    let text = String::from_utf8_lossy(&answer.body).into_owned();
    assert_eq!(answer.status, 200, "{text}");
    assert_eq!(answer.json()["digit"], usize::from(label), "{text}");

    let blank = image::GrayImage::from_pixel(5000, 5000, image::Luma([255]));
    let mut png = Vec::new();
    blank
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let answer = request(server.addr, "POST", "/api/predict", Some("image/png"), &png);
    let text = String::from_utf8_lossy(&answer.body).into_owned();
    assert_eq!(answer.status, 413, "{text}");
    assert!(
        text.contains("5000x5000 pixels, which would take 382 MiB"),
        "{text}"
    );
    wait_for_in_use(&digitnet::serve::limits::DECODES, 0);
}

#[test]
fn a_body_over_the_cap_gets_a_413_that_names_it() {
    let server = TestServer::start(mnist_classifier());
    // Declared: refused from its Content-Length, before any of it is sent.
    let mut stream = open(server.addr, &head_with_length(MAX_BODY_BYTES + 1, ""));
    let answer = read_response(&mut stream);
    assert_eq!(answer.status, 413);
    let message = answer.error_message();
    assert!(message.contains("16777216 bytes (16 MiB)"), "{message}");
    // Chunked: refused once it passes the cap.
    let answer = post_chunked(server.addr, "image/jpeg", MAX_BODY_BYTES + 1);
    assert_eq!(answer.status, 413);
    let message = answer.error_message();
    assert!(message.contains("16777216 bytes (16 MiB)"), "{message}");
    // JSON pixels keep their own, smaller cap.
    let answer = post_chunked(server.addr, "application/json", MAX_JSON_BYTES + 1);
    assert_eq!(answer.status, 413);
    let message = answer.error_message();
    assert!(
        message.contains("JSON body") && message.contains("1048576"),
        "{message}"
    );
}

#[test]
fn concurrent_bodies_stay_within_the_body_budget() {
    static SMALL: Budget = Budget::new(8 << 20);
    let server = TestServer::start_with(
        mnist_classifier(),
        ServerLimits {
            body_budget: &SMALL,
            body_wait: Duration::from_millis(300),
            ..ServerLimits::default()
        },
    );
    // One body of 6 MiB, a sixth of it sent: its whole length is reserved.
    let mut first = open(server.addr, &head_with_length(6 * MIB, ""));
    first.write_all(&vec![0; MIB]).unwrap();
    wait_for_in_use(&SMALL, 6 << 20);

    // Another 6 MiB does not fit: a 503 naming the budget, before its body is asked for.
    let expect = "Expect: 100-continue\r\n";
    let mut second = open(server.addr, &head_with_length(6 * MIB, expect));
    let answer = read_response(&mut second);
    assert_eq!(answer.status, 503);
    let message = answer.error_message();
    assert!(message.contains("budget of 8 MiB"), "{message}");
    // A chunked body grows its reservation until the budget is full, then gets a 503.
    let answer = post_chunked(server.addr, "image/jpeg", 3 * MIB);
    assert_eq!(answer.status, 503, "{}", answer.error_message());
    assert_eq!(SMALL.in_use(), 6 << 20);

    // The first body ends (it is no picture: a 400) and gives its share back.
    first.write_all(&vec![0; 5 * MIB]).unwrap();
    let answer = read_response(&mut first);
    assert_eq!(answer.status, 400, "{}", answer.error_message());
    wait_for_in_use(&SMALL, 0);
    // Now the same chunked body is read whole (and refused as no picture).
    let answer = post_chunked(server.addr, "image/jpeg", 3 * MIB);
    assert_eq!(answer.status, 400, "{}", answer.error_message());
    wait_for_in_use(&SMALL, 0);
}
