//! `POST /api/predict` with `multipart/form-data`, sent by curl itself (`curl -F`),
//! as browsers' forms and scripts send photos: the answer is the same as for the
//! raw image.

mod serve_support;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use digitnet::Model;
use digitnet::serve::Classifier;
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
