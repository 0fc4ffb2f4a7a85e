//! `digitnet serve` as a user runs it: the URL it prints, its flags, and a
//! graceful stop on SIGINT / SIGTERM that lets a request in flight finish.

mod serve_support;

use std::io::Write;
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use serve_support::{ServeProcess, read_response, request};

#[test]
fn prints_a_loopback_url_and_stops_on_sigint() {
    let mut server = ServeProcess::start(&[]);
    assert!(
        server.url.starts_with("http://127.0.0.1:"),
        "{}",
        server.url
    );
    let health = request(server.addr, "GET", "/healthz", None, b"");
    assert_eq!(health.status, 200);
    let status = Command::new("kill")
        .args(["-INT", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let (status, stderr) = server.wait_exit(Duration::from_secs(20));
    assert!(status.success(), "exit {status:?}: {stderr}");
    assert!(stderr.contains("stopped"), "{stderr}");
}

#[test]
fn sigterm_lets_a_request_in_flight_finish() {
    let mut server = ServeProcess::start(&[]);
    let body = br#"{"width":3,"height":3,"pixels":[255,0,255,255,0,255,255,0,255]}"#;
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let head = format!(
        concat!(
            "POST /api/predict HTTP/1.1\r\nHost: test\r\n",
            "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        ),
        body.len()
    );
    // Half the request, then the signal while the server waits for the rest.
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body[..10]).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    server.terminate();
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the server exited with a request in flight"
    );
    stream.write_all(&body[10..]).unwrap();
    let answer = read_response(&mut stream);
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    assert!(answer.json()["digit"].is_u64());
    let (status, stderr) = server.wait_exit(Duration::from_secs(20));
    assert!(status.success(), "exit {status:?}: {stderr}");
}

fn run_serve(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_digitnet"))
        .arg("serve")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn bad_flags_are_usage_errors() {
    let out = run_serve(&["--min-confidence", "1.5"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("invalid --min-confidence 1.5"), "{stderr}");

    let out = run_serve(&["--addr", "localhost-ish"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--addr"));
}

#[test]
fn an_address_in_use_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = run_serve(&["--addr", &addr]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on {addr}")),
        "{stderr}"
    );
}

#[test]
fn serves_a_saved_model_given_with_model() {
    use digitnet::{data, experiment, train};
    let digits = data::digits::load().unwrap();
    let mut config = train::TrainConfig::standard();
    config.epochs = 3;
    config.seed = 7;
    let run = experiment::holdout(&config, &digits, 0.25, &mut train::Silent).unwrap();
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-serve-model");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("small.safetensors");
    run.model().unwrap().save(&path).unwrap();

    let server = ServeProcess::start(&["--model", path.to_str().unwrap()]);
    let model = request(server.addr, "GET", "/api/model", None, b"").json();
    assert_eq!(model["source"], path.display().to_string());
    assert_eq!(model["training"]["seed"], 7);
    assert_eq!(model["training"]["epochs"], 3);
    let body = br#"{"width":3,"height":3,"pixels":[255,0,255,255,0,255,255,0,255]}"#;
    let answer = request(
        server.addr,
        "POST",
        "/api/predict",
        Some("application/json"),
        body,
    );
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()["input"].as_array().unwrap().len(), 64);
}

#[test]
fn a_missing_model_file_is_a_clear_error() {
    let out = run_serve(&[
        "--addr",
        "127.0.0.1:0",
        "--model",
        "no/such/model.safetensors",
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no/such/model.safetensors"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
