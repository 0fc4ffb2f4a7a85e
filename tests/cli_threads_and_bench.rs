//! The `--threads` flag and the `bench` command, through the built binary.

mod common;

use std::process::Output;

use common::digitnet;

/// The JSON report without its timings (which differ from run to run).
fn without_timings(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    common::without_timings(serde_json::from_slice(&out.stdout).unwrap())
}

#[test]
fn same_seed_gives_the_same_results_on_one_thread_or_two() {
    // (The blog recipe runs on one thread whatever --threads says.)
    for recipe in [
        &["--recipe", "standard", "--epochs", "3"][..],
        &[
            "--recipe",
            "standard",
            "--epochs",
            "2",
            "--hidden",
            "300",
            "--batch-size",
            "256",
        ][..],
    ] {
        let run = |threads: &str| {
            let mut args = vec!["train", "--json", "--seed", "4", "--threads", threads];
            args.extend_from_slice(recipe);
            without_timings(&digitnet(&args))
        };
        assert_eq!(run("1"), run("2"), "{recipe:?}");
    }
}

#[test]
fn zero_threads_is_a_usage_error() {
    let out = digitnet(&["--threads", "0", "--epochs", "1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--threads 0") && err.contains("at least 1"),
        "{err}"
    );
}

#[test]
fn bench_prints_one_json_object_with_every_figure() {
    let out = digitnet(&[
        "bench",
        "--json",
        "--rows",
        "256",
        "--epochs",
        "1",
        "--digits-epochs",
        "1",
        "--threads",
        "1",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "mnist_relu800_epoch_s",
        "mnist_tanh200_epoch_s",
        "digits_epoch_s",
        "infer_b1000_images_per_s",
        "latency_b1_us",
    ] {
        assert!(
            v[key].as_f64().is_some_and(|x| x > 0.0),
            "{key}: {}",
            v[key]
        );
    }
    assert_eq!(v["threads"], 1);
    assert_eq!(
        v["mnist_relu800"]["sizes"],
        serde_json::json!([784, 800, 10])
    );
    assert_eq!(v["inference_relu800"]["rows"], 256);
    assert_eq!(v["mnist_source"], "mnist", "the real digits by default");
}

#[test]
fn bench_refuses_zero_epochs() {
    let out = digitnet(&["bench", "--epochs", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--epochs"));
}
