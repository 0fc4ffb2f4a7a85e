//! The `digitnet` binary end to end: reports, JSON, reproducibility, bad flags.

mod common;

use std::process::{Command, Output};

use common::{digitnet, stderr, stdout, without_timings};
use serde_json::Value;

const BLOG_FAST: &[&str] = &["--recipe", "blog", "--dropout", "0", "--seed", "3"];

#[test]
fn blog_report_has_the_original_lines() {
    let out = digitnet(BLOG_FAST);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for line in [
        "converged at iteration: ",
        "average error: ",
        "average test set error: ",
        "percent correct: ",
        "argmax accuracy: ",
        "confusion matrix",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    assert!(
        text.contains("trained on 1347 images, tested on 450"),
        "{text}"
    );
}

#[test]
fn json_is_exactly_one_object_with_the_documented_fields() {
    let out = digitnet(&[BLOG_FAST, &["--json"]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.trim().lines().count(), 1, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    for key in [
        "dataset",
        "recipe",
        "seed",
        "hidden",
        "dropout",
        "train_size",
        "validation_size",
        "test_size",
        "epochs_run",
        "converged",
        "converged_epoch",
        "train_error",
        "test_error",
        "test_accuracy",
        "strict_accuracy",
        "train_seconds",
        "confusion",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["dataset"], "digits");
    assert_eq!(v["recipe"], "blog");
    assert_eq!(v["hidden"], serde_json::json!([200]));
    assert_eq!(
        (v["train_size"].as_u64(), v["test_size"].as_u64()),
        (Some(1347), Some(450))
    );
    assert_eq!(v["converged"], true);
    assert_eq!(
        v["converged_epoch"].as_u64().unwrap() + 1,
        v["epochs_run"].as_u64().unwrap()
    );
    let labels: Vec<i64> = v["confusion"]["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_i64().unwrap())
        .collect();
    assert_eq!(labels, (-1..=9).collect::<Vec<_>>());
    let total: u64 = v["confusion"]["matrix"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap().iter().map(|c| c.as_u64().unwrap()))
        .sum();
    assert_eq!(total, 450);
    let acc = v["test_accuracy"].as_f64().unwrap();
    assert!((0.9..=1.0).contains(&acc), "{acc}");
}

#[test]
fn same_seed_same_results_different_seed_different_results() {
    let blog: &[&str] = &["--recipe", "blog", "--dropout", "0"];
    for recipe in [blog, &["--epochs", "20"]] {
        let run = |extra: &[&str]| -> Value {
            let out = digitnet(&[recipe, extra, &["--json"]].concat());
            assert!(out.status.success(), "{}", stderr(&out));
            without_timings(serde_json::from_str(&stdout(&out)).unwrap())
        };
        let first = run(&["--seed", "3"]);
        assert_eq!(
            first,
            run(&["--seed", "3"]),
            "two runs of {recipe:?} differ"
        );
        assert_ne!(first, run(&["--seed", "4"]));
    }
}

#[test]
fn bad_flags_are_named_on_the_first_line_with_exit_code_2() {
    let cases: &[(&[&str], &str)] = &[
        (&["--hidden", "0"], "hidden"),
        (&["--hidden", "-5"], "--hidden"),
        (&["--hidden", "1000000000"], "too large"),
        (&["--dropout", "1"], "dropout"),
        (&["--dropout", "-0.1"], "dropout"),
        (&["--test-fraction", "0"], "test fraction"),
        (&["--test-fraction", "1.5"], "test fraction"),
        (
            &["--recipe", "fancy"],
            "invalid value 'fancy' for '--recipe",
        ),
        (&["--lr", "0"], "learning rate"),
        (&["--epochs", "0"], "epochs"),
        (&["--epochs", "1000000000000"], "epochs"),
        (&["--batch-size", "0"], "batch size"),
        (&["--batch-size", "100000"], "batch size"),
        (&["--folds", "1"], "folds"),
        (&["--folds", "500"], "folds"),
        (
            &["--patience", "5", "--validation-fraction", "0"],
            "validation",
        ),
        (
            &["--activation", "swish"],
            "invalid value 'swish' for '--activation",
        ),
        (
            &["--recipe", "blog", "--hidden", "100,50"],
            "one hidden size",
        ),
        (
            &["--activation", "softmax"],
            "invalid value 'softmax' for '--activation",
        ),
        (
            &["--recipe", "blog", "--activation", "relu"],
            "--activation is not used by the blog recipe",
        ),
        (
            &["--recipe", "blog", "--batch-size", "8"],
            "--batch-size is not used by the blog recipe",
        ),
        (
            &["--recipe", "blog", "--validation-fraction", "0.2"],
            "--validation-fraction is not used by the blog recipe",
        ),
        (
            &["--reference"],
            "--reference is not used by the standard recipe",
        ),
    ];
    for (args, expected) in cases {
        let out = digitnet(args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        // One line of our own, or clap's message with its usage lines.
        assert!(err.trim().lines().count() <= 5, "{args:?}: {err}");
        assert!(err.starts_with("error:"), "{args:?}: {err}");
        assert!(
            err.lines().next().unwrap_or("").contains(expected),
            "{args:?}: expected {expected:?} on the first line of {err}"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(stdout(&out).is_empty(), "{args:?} printed a report");
    }
}

#[test]
fn cross_validation_reports_every_fold() {
    let out = digitnet(&["--folds", "3", "--epochs", "5", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let folds = v["folds"].as_array().unwrap();
    assert_eq!(folds.len(), 3);
    let accs: Vec<f64> = folds.iter().map(|f| f.as_f64().unwrap()).collect();
    let mean = accs.iter().sum::<f64>() / 3.0;
    assert!((v["mean"].as_f64().unwrap() - mean).abs() < 1e-12);
    assert!(accs.iter().all(|a| (0.5..=1.0).contains(a)), "{accs:?}");
}

#[test]
fn divergence_names_the_epoch_and_suggests_a_lower_rate() {
    let out = digitnet(&[
        "--activation",
        "relu",
        "--optimizer",
        "sgd",
        "--lr",
        "10",
        "--dropout",
        "0",
        "--input-dropout",
        "0",
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("diverged in epoch 1"), "{err}");
    assert!(err.contains("lower learning rate"), "{err}");
    assert!(
        stdout(&out).contains("diverged in epoch 1"),
        "the report says so too"
    );
}

/// Starts a long training run, waits until it is training, sends `signal`, and
/// returns its output.
#[cfg(unix)]
fn interrupted_run(signal: &str, extra: &[&str]) -> Output {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_digitnet"))
        .args([
            "--epochs",
            "1000000",
            "--validation-fraction",
            "0.1",
            "--json",
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Epoch lines on stderr (not a terminal) show that training has started.
    let mut err = child.stderr.take().unwrap();
    let mut first = [0u8; 5];
    err.read_exact(&mut first).unwrap();
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let mut rest = String::from_utf8_lossy(&first).into_owned();
    err.read_to_string(&mut rest).unwrap();
    Output {
        stderr: rest.into_bytes(),
        ..out
    }
}

#[cfg(unix)]
#[test]
fn sigint_stops_training_with_a_partial_report_and_code_130() {
    let out = interrupted_run("-INT", &[]);
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).expect("a report on stdout");
    assert_eq!(v["interrupted"], true);
    assert!(v["epochs_run"].as_u64().unwrap() < 1_000_000);
    assert!(
        v["test_accuracy"].as_f64().unwrap() > 0.5,
        "kept trained weights"
    );
    assert!(stderr(&out).contains("interrupted"), "{}", stderr(&out));
}

#[cfg(unix)]
#[test]
fn sigterm_stops_training_with_code_143() {
    let out = interrupted_run("-TERM", &[]);
    assert_eq!(out.status.code(), Some(143), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).expect("a report on stdout");
    assert_eq!(v["interrupted"], true);
}

#[cfg(unix)]
#[test]
fn ctrl_c_during_training_saves_a_loadable_model() {
    let dir = common::scratch("sigint");
    let path = dir.join("best.safetensors");
    let out = interrupted_run("-INT", &["--save", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    let model = digitnet::Model::load(&path).expect("the interrupted run saved a model");
    assert_eq!(model.meta.input.width, 8);
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["best.safetensors"], "a temporary file was left");
}
