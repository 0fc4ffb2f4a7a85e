//! The model commands through the built binary: `train --save`, `info`, `eval`,
//! `predict`, and their answers to bad input (a clear message naming the file,
//! a non-zero exit, never a panic).

mod common;
mod mnist_support;

use common::digitnet;

use std::fs;
use std::path::Path;
use std::process::Output;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn fixture(name: &str) -> String {
    mnist_support::fixtures().join(name).display().to_string()
}

fn model_fixture() -> String {
    fixture(mnist_support::MODEL_FIXTURE)
}

/// Asserts a failure with exit code `code` whose message names `file` and says `what`.
fn assert_fails(out: &Output, code: i32, file: &str, what: &str) {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "stderr: {err}");
    assert!(err.contains(file) && err.contains(what), "stderr: {err}");
    assert!(!err.contains("panicked"), "stderr: {err}");
}

fn png(dir: &Path, name: &str, image: image::GrayImage) -> String {
    let path = dir.join(name);
    image.save(&path).unwrap();
    path.display().to_string()
}

#[test]
fn train_save_then_info_and_eval() {
    let dir = common::scratch("train-save");
    let model = dir.join("digits.safetensors");
    let m = model.display().to_string();
    let out = digitnet(&["train", "--epochs", "5", "--quiet", "--save", &m]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        common::file_names(&dir),
        ["digits.safetensors"],
        "no temporary file is left behind"
    );

    let info = text(&digitnet(&["info", &m]).stdout);
    assert!(info.contains("network: 64-200-10"), "{info}");
    assert!(
        info.contains("input: 8x8 pixels, values 0..16, prepared optdigits-style"),
        "{info}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&digitnet(&["info", &m, "--json"]).stdout).unwrap();
    assert_eq!(json["training"]["epochs"], 5);
    assert_eq!(json["format_version"], digitnet::model::FORMAT_VERSION);

    let out = digitnet(&["eval", "--model", &m, "--dataset", "digits", "--json"]);
    let eval: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(eval["images"], 1797);
    assert!(eval["accuracy"].as_f64().unwrap() > 0.9, "{eval}");
    assert_eq!(eval["per_class"].as_array().unwrap().len(), 10);
    assert_eq!(eval["confusion"]["matrix"].as_array().unwrap().len(), 11);
    let report = text(&digitnet(&["eval", "--model", &m]).stdout);
    for part in [
        "accuracy:",
        "strict accuracy",
        "log loss:",
        "precision",
        "confusion matrix",
    ] {
        assert!(report.contains(part), "{part} missing from:\n{report}");
    }
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_28x28_model_refuses_the_8x8_digits() {
    let out = digitnet(&["eval", "--model", &model_fixture(), "--dataset", "digits"]);
    assert_fails(
        &out,
        2,
        "digits",
        "trained on 28x28 images, but the data set 'digits' has 8x8 images",
    );
}

#[test]
fn eval_reads_an_image_folder_with_the_models_classes() {
    let dir = common::scratch("eval-folder");
    for (name, index) in mnist_support::FIXTURE_PICTURES {
        let label = mnist_support::mnist("t10k", 4).labels[*index];
        fs::create_dir_all(dir.join(label.to_string())).unwrap();
        fs::copy(fixture(name), dir.join(label.to_string()).join(name)).unwrap();
    }
    let out = digitnet(&[
        "eval",
        "--model",
        &model_fixture(),
        "--dataset",
        dir.to_str().unwrap(),
        "--json",
    ]);
    let eval: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(eval["images"], 4, "{}", text(&out.stderr));
    assert_eq!(eval["accuracy"], 1.0, "{eval}");
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn predict_answers_with_the_digit_its_probability_and_the_top_3() {
    let seven = fixture("mnist-t10k-0-black-on-white.png");
    let out = digitnet(&["predict", "--model", &model_fixture(), &seven, "--show"]);
    let stdout = text(&out.stdout);
    let first = stdout.lines().next().unwrap();
    assert!(
        first.starts_with(&format!("{seven}: 7 (")) && first.contains("top 3: 7 "),
        "{stdout}"
    );
    let picture: Vec<&str> = stdout.lines().skip(1).collect();
    assert_eq!(picture.len(), 28);
    assert!(picture.iter().all(|l| l.chars().count() == 56));
    assert!(picture.iter().any(|l| l.contains('@')), "{stdout}");
}

#[test]
fn without_model_predict_and_eval_use_the_builtin_mnist_model() {
    let labels = mnist_support::mnist("t10k", 4).labels;
    for (name, index) in mnist_support::FIXTURE_PICTURES {
        let digit = labels[*index];
        let out = digitnet(&["predict", &fixture(name), "--json"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(
            json["model"].as_str().unwrap().contains("built-in MNIST"),
            "{json}"
        );
        assert_eq!(json["predictions"][0]["label"], digit.to_string(), "{json}");
    }
    // Without --dataset: MNIST's 10,000 test images, none of which it trained on.
    let out = digitnet(&["eval", "--json"]);
    let eval: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(eval["dataset"], "mnist", "{eval}");
    assert_eq!(eval["images"], 10_000);
    assert!(eval["accuracy"].as_f64().unwrap() >= 0.985, "{eval}");
    let note = text(&out.stderr);
    assert!(
        note.contains("test images") && !note.contains("include its training images"),
        "{note}"
    );
}

#[test]
fn predict_json_and_min_confidence() {
    let one = fixture("mnist-t10k-2-white-on-black.png");
    let out = digitnet(&["predict", "--model", &model_fixture(), &one, "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let entry = &json["predictions"][0];
    assert_eq!(entry["digit"], 1);
    let probs: Vec<f64> = entry["probabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_f64().unwrap())
        .collect();
    assert_eq!(probs.len(), 10);
    assert!((probs.iter().sum::<f64>() - 1.0).abs() < 1e-4);
    assert_eq!(entry["top3"].as_array().unwrap().len(), 3);
    let p = entry["probability"].as_f64().unwrap();
    assert!(p < 1.0, "{p}");

    let with_min = |min: f64| {
        let min = min.to_string();
        let args = [
            "predict",
            "--model",
            &model_fixture(),
            &one,
            "--min-confidence",
            &min,
        ];
        text(&digitnet(&args).stdout)
    };
    let unsure = with_min((p + 1.0) / 2.0);
    assert!(
        unsure.starts_with(&format!("{one}: ?")) && unsure.contains("below the minimum confidence"),
        "{unsure}"
    );
    let sure = with_min(p / 2.0);
    assert!(sure.starts_with(&format!("{one}: 1 (")), "{sure}");

    let out = digitnet(&[
        "predict",
        "--model",
        &model_fixture(),
        &one,
        "--min-confidence",
        "2",
    ]);
    assert_fails(&out, 2, "--min-confidence 2", "probability from 0 to 1");
}

#[test]
fn a_blank_picture_is_answered_no_digit_with_a_reason() {
    let dir = common::scratch("blank");
    let blank = png(
        &dir,
        "blank.png",
        image::GrayImage::from_pixel(50, 40, image::Luma([230])),
    );
    let out = digitnet(&["predict", "--model", &model_fixture(), &blank]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with(&format!("{blank}: ?")) && stdout.contains("blank"),
        "{stdout}"
    );
    let json: serde_json::Value = serde_json::from_slice(
        &digitnet(&["predict", "--model", &model_fixture(), &blank, "--json"]).stdout,
    )
    .unwrap();
    assert!(json["predictions"][0]["digit"].is_null());
    assert!(
        json["predictions"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("blank")
    );
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_pictures_are_named_and_fail_the_run() {
    let dir = common::scratch("bad-pictures");
    let notes = dir.join("notes.txt");
    fs::write(&notes, "not a picture").unwrap();
    let mut truncated = fs::read(fixture("mnist-t10k-0-black-on-white.png")).unwrap();
    truncated.truncate(truncated.len() / 2);
    let cut = dir.join("cut.png");
    fs::write(&cut, truncated).unwrap();
    let huge = dir.join("huge.pgm");
    fs::write(&huge, b"P5\n30000 30000\n255\n\x00\x00\x00\x00").unwrap();
    let good = fixture("mnist-t10k-0-black-on-white.png");
    for (file, what) in [
        (&notes, "not an image this program reads"),
        (&cut, "cannot decode the image"),
        (&huge, "the image is 30000x30000 pixels, too large"),
    ] {
        let f = file.display().to_string();
        let out = digitnet(&["predict", "--model", &model_fixture(), &good, &f]);
        assert_fails(&out, 1, &f, what);
        assert!(
            text(&out.stdout).contains(": 7 ("),
            "the good picture is still read"
        );
    }
    fs::remove_dir_all(dir).unwrap();
}

/// What the command line adds to a model file the library refuses: the file named,
/// exit 1, no panic, from `predict` and `info` alike. Each way a file can be bad has
/// its message tested once, in `src/model/file.rs`.
#[test]
fn a_corrupt_or_missing_model_file_fails_naming_it() {
    let dir = common::scratch("bad-models");
    let picture = fixture("mnist-t10k-0-black-on-white.png");
    let mut bytes = fs::read(model_fixture()).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    let corrupt = dir.join("corrupt.safetensors");
    fs::write(&corrupt, bytes).unwrap();
    let cases = [
        (corrupt.display().to_string(), "checksum does not match"),
        (
            dir.join("missing.safetensors").display().to_string(),
            "No such file",
        ),
    ];
    for (model, what) in &cases {
        let out = digitnet(&["predict", "--model", model, &picture]);
        assert_fails(&out, 1, model, what);
        let out = digitnet(&["info", model]);
        assert_fails(&out, 1, model, what);
    }
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn save_into_a_missing_folder_fails_naming_it() {
    let dir = common::scratch("save-missing");
    let target = dir.join("no/such/model.safetensors").display().to_string();
    let out = digitnet(&["train", "--epochs", "1", "--quiet", "--save", &target]);
    assert_fails(&out, 1, &target, "No such file");
    assert!(common::file_names(&dir).is_empty());
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_image_folder_trains_a_model_that_keeps_its_class_names() {
    let dir = common::scratch("folder-classes");
    for (class, picture) in [
        ("seven", "mnist-t10k-0-black-on-white.png"),
        ("two", "mnist-t10k-2-white-on-black.png"),
    ] {
        fs::create_dir_all(dir.join(class)).unwrap();
        for i in 0..6 {
            fs::copy(fixture(picture), dir.join(class).join(format!("{i}.png"))).unwrap();
        }
    }
    let model = dir.join("m.safetensors");
    let out = digitnet(&[
        "--dataset",
        dir.to_str().unwrap(),
        "--batch-size",
        "2",
        "--epochs",
        "5",
        "-q",
        "--save",
        model.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = digitnet(&[
        "predict",
        "--model",
        model.to_str().unwrap(),
        &fixture("mnist-t10k-0-black-on-white.png"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains(": seven ("),
        "{}",
        text(&out.stdout)
    );
}
