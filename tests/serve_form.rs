//! Photos sent to `POST /api/predict`: as `multipart/form-data`, sent by curl
//! itself (`curl -F`) as browsers' forms and scripts send them (the answer is the
//! same as for the raw image), and photos of numbers with `?number=true`.

mod serve_support;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use digitnet::Model;
use digitnet::data::mnist;
use digitnet::serve::Classifier;
use digitnet::synth::{self, Frame};
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use serve_support::{TestServer, request};

const MNIST_MODEL: &str = "tests/fixtures/mnist-784-128-10.safetensors";
const PHOTO: &str = "tests/fixtures/mnist-t10k-1-black-on-white.jpg";

fn server() -> TestServer {
    let model = Model::load(MNIST_MODEL).unwrap();
    TestServer::start(Arc::new(Classifier::new(model, MNIST_MODEL, 0.6)))
}

/// Runs `curl -s` with `args` against `url`; returns the HTTP status and the body.
fn curl(url: &str, args: &[&str]) -> (u16, serde_json::Value) {
    let out = Command::new("curl")
        .args(["-s", "-w", "\n%{http_code}"])
        .args(args)
        .arg(url)
        .output()
        .expect("curl runs (it is needed by this test)");
    let text = String::from_utf8(out.stdout).unwrap();
    let (body, status) = text.rsplit_once('\n').unwrap();
    let json = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    (status.parse().unwrap(), json)
}

#[test]
fn curl_f_sends_a_photo_that_is_read_as_the_raw_image() {
    let server = server();
    let url = format!("http://{}/api/predict", server.addr);
    let raw = std::fs::read(PHOTO).unwrap();
    let direct = request(
        server.addr,
        "POST",
        "/api/predict",
        Some("image/jpeg"),
        &raw,
    );
    assert_eq!(direct.status, 200);
    let file = format!("photo=@{PHOTO}");
    let (status, form) = curl(&url, &["-F", &file]);
    assert_eq!(status, 200, "{form}");
    assert_eq!(form, direct.json());
    // MNIST test image 1 is a 2.
    assert_eq!(form["digit"], 2, "{form}");
    // An HTML form may send other fields next to the file.
    let (status, with_fields) = curl(&url, &["-F", "note=from a form", "-F", &file]);
    assert_eq!((status, &with_fields), (200, &form));
}

#[test]
fn a_form_without_one_image_file_is_refused_with_what_to_send() {
    let server = server();
    let url = format!("http://{}/api/predict", server.addr);
    let (status, body) = curl(&url, &["-F", "a=1", "-F", "b=2"]);
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("no file"),
        "{body}"
    );
    let file = format!("photo=@{PHOTO}");
    let (status, body) = curl(&url, &["-F", &file, "-F", &format!("other=@{PHOTO}")]);
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("2 files"),
        "{body}"
    );
    // A text file sent as the file: not an image, named as such.
    let (status, body) = curl(&url, &["-F", "photo=@Cargo.toml"]);
    assert_eq!(status, 400, "{body}");
    assert!(Path::new("Cargo.toml").exists());
}

/// A seeded JPEG photo of a number of `len` MNIST test digits.
fn number_jpeg(len: usize, seed: u64) -> Vec<u8> {
    let test = mnist::test().unwrap();
    let chosen: Vec<(&[f32], u8)> = (0..len)
        .map(|i| (test.image(i * 7 + 3), test.labels[i * 7 + 3]))
        .collect();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    synth::number(&chosen, Frame::DEFAULT, &mut rng).jpeg
}

#[test]
fn number_true_reads_the_row_of_digits_as_the_library_does() {
    let model = Model::builtin_mnist().unwrap();
    let server = TestServer::start(Arc::new(Classifier::new(model.clone(), "built-in", 0.6)));
    let jpeg = number_jpeg(4, 1);
    let gray = digitnet::preprocess::decode(&jpeg, "photo").unwrap();
    // Through JSON text, as the server sends it (f32 values in their shortest form).
    let text = serde_json::to_string(&model.read_number(&gray, 0.6).unwrap()).unwrap();
    let expected: serde_json::Value = serde_json::from_str(&text).unwrap();
    let answer = request(
        server.addr,
        "POST",
        "/api/predict?number=true",
        Some("image/jpeg"),
        &jpeg,
    );
    assert_eq!(answer.status, 200);
    let json = answer.json();
    assert_eq!(json, expected);
    assert_eq!(json["number"].as_str().map(str::len), Some(4), "{json}");
    assert_eq!(json["digits"][0]["box"].as_array().unwrap().len(), 4);
    // The same photo as a form.
    let dir = std::env::temp_dir().join(format!("digitnet-form-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("number.jpg");
    std::fs::write(&file, &jpeg).unwrap();
    let url = format!("http://{}/api/predict?number=true", server.addr);
    let (status, form) = curl(&url, &["-F", &format!("photo=@{}", file.display())]);
    assert_eq!((status, &form), (200, &expected));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn number_true_refuses_more_than_eight_digits_and_bad_queries() {
    let server = server();
    let jpeg = number_jpeg(11, 2);
    let answer = request(
        server.addr,
        "POST",
        "/api/predict?number=true",
        Some("image/jpeg"),
        &jpeg,
    );
    assert_eq!(answer.status, 422);
    let message = answer.error_message();
    assert!(message.contains("one row of 1 to 8"), "{message}");
    let blank = request(
        server.addr,
        "POST",
        "/api/predict?number=true",
        Some("application/json"),
        br#"{"width":2,"height":2,"pixels":[255,255,255,255]}"#,
    );
    assert_eq!(blank.status, 200);
    assert_eq!(blank.json()["number"], serde_json::Value::Null);
    assert!(blank.json()["reason"].as_str().unwrap().contains("blank"));
    let bad = request(
        server.addr,
        "POST",
        "/api/predict?number=maybe",
        Some("image/jpeg"),
        &jpeg,
    );
    assert_eq!(bad.status, 400);
    assert!(bad.error_message().contains("number=maybe"));
}
