//! What training shows while it runs and around the report: epoch lines on stderr,
//! `--quiet`, `--log-json`, and `--color` for the confusion table.

mod common;

use common::{digitnet_in, file_names, scratch, stderr, stdout};

#[test]
fn without_a_terminal_each_epoch_is_one_plain_line() {
    let dir = scratch("progress-lines");
    let out = digitnet_in(&dir, &["--epochs", "3"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    for (k, line) in lines.iter().enumerate() {
        assert!(
            line.starts_with(&format!("epoch    {}/3  loss ", k + 1)),
            "{line}"
        );
        assert!(line.contains("val acc"), "{line}");
    }
    assert!(
        !err.contains('\x1b') && !err.contains('\r'),
        "terminal codes in {err:?}"
    );
}

#[test]
fn quiet_prints_nothing_on_stderr() {
    let dir = scratch("progress-quiet");
    let out = digitnet_in(&dir, &["--epochs", "3", "--quiet"], &[]);
    assert!(out.status.success());
    assert_eq!(stderr(&out), "");
}

#[test]
fn log_json_has_one_object_per_epoch() {
    let dir = scratch("log-json");
    let args = [
        "--epochs",
        "4",
        "--quiet",
        "--json",
        "--log-json",
        "log.jsonl",
    ];
    let out = digitnet_in(&dir, &args, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let text = std::fs::read_to_string(dir.join("log.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    for (k, line) in lines.iter().enumerate() {
        assert_eq!(line["epoch"], k);
        assert_eq!(line["train_loss"], report["history"][k]["train_loss"]);
        for key in ["val_loss", "val_accuracy", "seconds"] {
            assert!(line[key].is_number(), "{key} in {line}");
        }
    }
    assert_eq!(file_names(&dir), ["log.jsonl"], "a temporary file was left");
}

#[test]
fn an_unwritable_log_fails_before_training() {
    let dir = scratch("log-unwritable");
    let out = digitnet_in(
        &dir,
        &["--epochs", "3", "--log-json", "no/such/log.jsonl"],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("no/such/log.jsonl") && !err.contains("epoch"),
        "{err}"
    );
    assert_eq!(stdout(&out), "");
}

#[test]
fn color_is_off_in_pipes_unless_asked_for() {
    let dir = scratch("color");
    let quick = ["--epochs", "3", "--quiet"];
    let plain = digitnet_in(&dir, &quick, &[]);
    assert!(!stdout(&plain).contains('\x1b'));
    let always = digitnet_in(
        &dir,
        &[&quick[..], &["--color", "always"]].concat(),
        &[("NO_COLOR", "1")],
    );
    let coloured = stdout(&always);
    assert!(coloured.contains("\x1b[1;32m"), "{coloured}");
    // Only the confusion table is coloured; without the escapes it is the plain report.
    let stripped = coloured
        .replace("\x1b[1;32m", "")
        .replace("\x1b[31m", "")
        .replace("\x1b[0m", "");
    // The "trained on ... in X s" line carries a timing; every other line must match.
    let without_time = |s: &str| {
        let lines = s.lines().filter(|l| !l.starts_with("trained on"));
        lines.collect::<Vec<_>>().join("\n")
    };
    assert_eq!(without_time(&stripped), without_time(&stdout(&plain)));
    let bad = digitnet_in(&dir, &["--color", "sometimes"], &[]);
    assert_eq!(bad.status.code(), Some(2));
}
