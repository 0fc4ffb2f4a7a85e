//! Inputs that once panicked (exit 101) now end with a message, and a closed or full
//! stdout never costs the model: a closed pipe ends quietly with the usual status, other
//! write errors are reported.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_string()
}

/// An IDX folder with `train` and `test` images of 4x4 pixels (labels 0 and 1).
fn idx_folder(dir: &Path, train: u32, test: u32) -> String {
    std::fs::create_dir_all(dir).unwrap();
    for (part, n) in [("train", train), ("t10k", test)] {
        let mut images = vec![0, 0, 8, 3];
        for v in [n, 4, 4] {
            images.extend(v.to_be_bytes());
        }
        images.extend((0..n * 16).map(|i| (i * 37 % 256) as u8));
        write(dir, &format!("{part}-images-idx3-ubyte"), &images);
        let mut labels = vec![0, 0, 8, 1];
        labels.extend(n.to_be_bytes());
        labels.extend((0..n).map(|i| (i % 2) as u8));
        write(dir, &format!("{part}-labels-idx1-ubyte"), &labels);
    }
    dir.to_str().unwrap().to_string()
}

#[test]
fn a_csv_of_two_rows_trains_or_is_refused_never_a_panic() {
    let d = common::scratch("two-rows");
    let csv = write(&d, "two.csv", b"0,9,2,3,4\n1,4,3,2,1\n");
    let first = ["--label-column", "first"];
    // The preset's batch of 256 is clamped to the one row trained on (the other is
    // the test row).
    let out = common::digitnet(&[&["--dataset", &csv, "--epochs", "1", "-q"], &first[..]].concat());
    assert!(out.status.success(), "{}", common::stderr(&out));
    // A batch size given as a flag is kept, and refused when the data cannot fill it.
    let args = ["--dataset", &csv, "--epochs", "1", "--batch-size", "2"];
    let out = common::digitnet(&[&args[..], &first[..]].concat());
    common::assert_refused(
        &out,
        "invalid batch size 2, which should be between 1 and the 1 rows",
    );
}

#[test]
fn idx_folders_with_no_or_one_training_image_or_no_test_image() {
    let d = common::scratch("idx-sizes");
    let flags = ["--epochs", "1", "-q", "--batch-size", "1", "--classes", "2"];
    let run = |dir: &str| {
        let mut args = vec!["--dataset", dir];
        args.extend(flags);
        common::digitnet(&args)
    };
    let none = idx_folder(&d.join("none"), 0, 4);
    common::assert_refused(
        &run(&none),
        "holds no images: the training set needs at least one",
    );
    let no_test = idx_folder(&d.join("no-test"), 10, 0);
    common::assert_refused(
        &run(&no_test),
        "holds no images: the test set needs at least one",
    );
    let one = idx_folder(&d.join("one"), 1, 4);
    let out = run(&one);
    assert!(out.status.success(), "{}", common::stderr(&out));
}

#[test]
fn a_shape_too_large_to_multiply_is_a_usage_error() {
    let d = common::scratch("shape-plot");
    let csv = write(&d, "one.csv", b"0,1\n1,0\n0,1\n1,0\n");
    let huge = "18446744073709551615x18446744073709551615";
    let out = common::digitnet(&["--dataset", &csv, "--shape", huge, "--out", "-q"]);
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr(&out));
    common::assert_refused(&out, "invalid shape");
}

#[test]
fn softmax_as_the_hidden_activation_is_a_usage_error() {
    let out = common::digitnet(&["--activation", "softmax", "--epochs", "1", "-q"]);
    assert_eq!(out.status.code(), Some(2));
    common::assert_refused(&out, "invalid value 'softmax' for '--activation");
    common::assert_refused(&out, "[possible values: tanh, relu, sigmoid]");
}

/// Runs digitnet with stdout a pipe whose reader is already gone.
fn with_closed_stdout(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_digitnet"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    child.wait_with_output().unwrap()
}

#[test]
fn a_closed_stdout_ends_quietly_and_the_model_is_saved() {
    let d = common::scratch("pipe");
    let model = d.join("m.safetensors");
    let out = with_closed_stdout(&["--json", "--epochs", "2", "--save", model.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{:?}: {}",
        out.status,
        common::stderr(&out)
    );
    assert!(!common::stderr(&out).contains("panicked"));
    digitnet::Model::load(&model).expect("the model was saved");
    let png = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/mnist-t10k-0-black-on-white.png");
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mnist-784-128-10.safetensors");
    let out = with_closed_stdout(&[
        "predict",
        "--model",
        fixture.to_str().unwrap(),
        png.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{:?}: {}",
        out.status,
        common::stderr(&out)
    );
    assert_eq!(common::stderr(&out), "");
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_stdout_is_reported_after_the_model_is_saved() {
    let d = common::scratch("full");
    let model = d.join("m.safetensors");
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_digitnet"))
        .args(["--epochs", "2", "-q", "--save", model.to_str().unwrap()])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    common::assert_refused(&out, "error: writing to stdout: No space left on device");
    digitnet::Model::load(&model).expect("the model was saved first");
}

/// `digitnet serve` whose stdout is `stdout`; returns the child and its address, read
/// from stderr's lines (the URL is repeated there when stdout cannot take it).
fn serve_with_stdout(stdout: Stdio) -> (std::process::Child, String, String) {
    let addr = common::free_addr();
    let (child, seen) = common::serve(&addr, stdout);
    (child, addr, seen)
}

fn healthz(addr: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer
}

fn stop(mut child: std::process::Child) -> std::process::ExitStatus {
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "serve did not stop"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn serve_with_a_closed_or_full_stdout_keeps_serving() {
    let (mut child, addr, seen) = serve_with_stdout(Stdio::piped());
    drop(child.stdout.take());
    assert!(!seen.contains("panicked"), "{seen}");
    assert!(healthz(&addr).starts_with("HTTP/1.1 200"));
    assert!(stop(child).success());
    #[cfg(target_os = "linux")]
    {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let (child, addr, seen) = serve_with_stdout(Stdio::from(full));
        assert!(seen.contains("warning: writing to stdout"), "{seen}");
        assert!(
            seen.contains(&format!("serving on http://{addr}/")),
            "{seen}"
        );
        assert!(healthz(&addr).starts_with("HTTP/1.1 200"));
        assert!(stop(child).success());
    }
}
