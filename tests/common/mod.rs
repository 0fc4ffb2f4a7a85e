//! Helpers shared by the CLI tests: run the built binary, read its output, scratch folders.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// Runs `digitnet args` in `cwd` with `env` added.
pub fn digitnet_in(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_digitnet"))
        .current_dir(cwd)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("the digitnet binary runs")
}

/// Runs `digitnet args` in the current folder.
pub fn digitnet(args: &[&str]) -> Output {
    digitnet_in(Path::new("."), args, &[])
}

/// A JSON report without its timing fields (the only part that may vary between runs).
pub fn without_timings(mut v: serde_json::Value) -> serde_json::Value {
    v.as_object_mut().unwrap().remove("train_seconds");
    for epoch in v["history"].as_array_mut().unwrap() {
        epoch.as_object_mut().unwrap().remove("seconds");
    }
    v
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// A fresh, empty folder for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("digitnet-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The names of the files in `dir`, sorted.
pub fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// Exit code 1 or 2, no panic, and `expected` in the message: refused, not aborted.
pub fn assert_refused(out: &Output, expected: &str) {
    let err = stderr(out);
    assert!(
        matches!(out.status.code(), Some(1 | 2)),
        "{:?}: {err}",
        out.status
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains(expected), "{err}");
}

/// A loopback address whose port was free a moment ago, for a server to bind.
pub fn free_addr() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

/// Starts `digitnet serve --addr addr` with `stdout`, waits until it says it is
/// ready ("press Ctrl-C" on stderr) and returns it with what stderr said so far;
/// the rest of stderr is drained on a thread so the server never blocks on it.
pub fn serve(addr: &str, stdout: Stdio) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_digitnet"))
        .args(["serve", "--addr", addr])
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    while !seen.contains("press Ctrl-C") {
        let mut line = String::new();
        if err.read_line(&mut line).unwrap() == 0 {
            break;
        }
        seen.push_str(&line);
    }
    std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
    (child, seen)
}
