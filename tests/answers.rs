//! No silently wrong answer: `predict` and the API read a picture on the pixel scale the
//! model was trained on, a model that divides by almost nothing is refused when it is
//! loaded, an output that is not a number is never a digit, and a model's class names
//! are used wherever it has them.

mod common;
mod mnist_support;
mod serve_support;

use std::fs;
use std::path::Path;
use std::sync::Arc;

use common::{assert_refused, digitnet, stderr, stdout};
use digitnet::Model;
use digitnet::normalize::Normalizer;
use digitnet::preprocess;
use digitnet::serve::Classifier;
use serve_support::{TestServer, request};

fn fixture(name: &str) -> String {
    mnist_support::fixtures().join(name).display().to_string()
}

/// `predict --json`'s entries for `pictures` with `model`.
fn predict_json(model: &str, pictures: &[String], extra: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec!["predict", "--model", model, "--json"];
    args.extend(extra);
    args.extend(pictures.iter().map(String::as_str));
    let out = digitnet(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    json["predictions"].as_array().unwrap().clone()
}

fn floats(v: &serde_json::Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_f64().unwrap() as f32)
        .collect()
}

/// The answer of the API served with `model` to the PNG file `picture`.
fn api_answer(model: Model, picture: &str) -> serde_json::Value {
    let server = TestServer::start(Arc::new(Classifier::new(model, "test", 0.6)));
    let body = fs::read(picture).unwrap();
    let answer = request(
        server.addr,
        "POST",
        "/api/predict",
        Some("image/png"),
        &body,
    );
    assert_eq!(answer.status, 200);
    answer.json()
}

/// The first `n` MNIST training images as a CSV of `label,p0,...,p783` with pixels
/// divided by 255 (as many published CSVs are).
fn unit_scaled_csv(path: &Path, n: usize) {
    let data = mnist_support::mnist("train", n);
    let mut text = String::new();
    for (row, label) in data.pixels.chunks_exact(784).zip(&data.labels) {
        text.push_str(&label.to_string());
        for v in row {
            text.push(',');
            text.push_str(&(v / 255.0).to_string());
        }
        text.push('\n');
    }
    fs::write(path, text).unwrap();
}

#[test]
fn a_model_trained_on_a_csv_scaled_0_to_1_reads_pictures_on_that_scale() {
    let dir = common::scratch("unit-scale");
    let csv = dir.join("mnist-unit.csv");
    unit_scaled_csv(&csv, 1500);
    let model_path = dir.join("unit.safetensors");
    let m = model_path.to_str().unwrap();
    let args = [
        "--dataset",
        csv.to_str().unwrap(),
        "--hidden",
        "64",
        "--epochs",
        "8",
    ];
    let out = digitnet(&[&args[..], &["-q", "--save", m]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let model = Model::load(&model_path).unwrap();
    assert_eq!(model.meta.input.pixel_max, 1.0);

    let labels = mnist_support::mnist("t10k", 4).labels;
    let pictures: Vec<String> = mnist_support::FIXTURE_PICTURES
        .iter()
        .map(|(name, _)| fixture(name))
        .collect();
    let entries = predict_json(m, &pictures, &[]);
    let mut right = 0;
    for ((picture, entry), (_, index)) in pictures
        .iter()
        .zip(&entries)
        .zip(mnist_support::FIXTURE_PICTURES)
    {
        // The expected answer, computed here: the picture prepared as the model's
        // training images were, its 0..255 values divided by 255, through the net.
        let image = preprocess::open(Path::new(picture)).unwrap();
        let prepared = preprocess::prepare(&image, model.target()).unwrap();
        let unit: Vec<f32> = prepared.pixels.iter().map(|v| v / 255.0).collect();
        let expected = model.probabilities(&unit);
        let got = floats(&entry["probabilities"]);
        assert_eq!(got.len(), 10);
        for (g, e) in got.iter().zip(&expected) {
            assert!(
                (g - e).abs() < 1e-6,
                "{picture}: {got:?} against {expected:?}"
            );
        }
        // Fed 0..255, the same net answers something else, far more sure of itself.
        let raw = model.probabilities(&prepared.pixels);
        let off = raw.iter().zip(&expected).map(|(a, b)| (a - b).abs());
        assert!(
            off.fold(0.0, f32::max) > 0.01,
            "{raw:?} against {expected:?}"
        );
        right += usize::from(entry["digit"] == labels[*index]);
        if picture.ends_with(".png") {
            // The API answers the same.
            let answer = api_answer(model.clone(), picture);
            let api = floats(&answer["probabilities"]);
            for (a, g) in api.iter().zip(&got) {
                assert!((a - g).abs() < 1e-6, "{picture}: API {api:?}, CLI {got:?}");
            }
        }
    }
    // A 784-64-10 net on 1,500 images: the four test digits are read right.
    assert_eq!(right, 4, "{entries:?}");
    fs::remove_dir_all(dir).unwrap();
}

/// The fixture model with `edit` applied, written to `dir/name` (with a matching
/// checksum, as `digitnet train --save` would write it).
fn edited_model(dir: &Path, name: &str, edit: impl FnOnce(&mut Model)) -> String {
    let mut model = mnist_support::fixture_model();
    edit(&mut model);
    let path = dir.join(name);
    fs::write(&path, model.to_bytes(name).unwrap()).unwrap();
    path.display().to_string()
}

#[test]
fn models_that_divide_by_almost_nothing_are_refused_by_predict_info_and_serve() {
    let dir = common::scratch("tiny-divisors");
    let picture = fixture("mnist-t10k-0-black-on-white.png");
    let cases = [
        (
            edited_model(&dir, "var.safetensors", |m| {
                m.meta.normalizer = Normalizer::BlogMeanVar {
                    mean: 33.0,
                    var: 1e-45,
                }
            }),
            "the metadata field normalizer.var is 1e-45",
        ),
        (
            edited_model(&dir, "pixel-max.safetensors", |m| {
                m.meta.input.pixel_max = 1e-45
            }),
            "the metadata field input.pixel_max is 1e-45",
        ),
        (
            edited_model(&dir, "scale.safetensors", |m| {
                m.meta.normalizer = Normalizer::Scale { pixel_max: 1e-45 }
            }),
            "the metadata field normalizer.pixel_max is 1e-45",
        ),
    ];
    for (model, what) in &cases {
        for args in [
            vec!["predict", "--model", model, &picture],
            vec!["info", model],
            vec!["eval", "--model", model],
            vec!["serve", "--addr", "127.0.0.1:0", "--model", model],
        ] {
            let out = digitnet(&args);
            assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
            assert_refused(&out, &format!("{model}: {what}"));
        }
    }
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_output_that_is_not_a_number_is_no_digit_in_predict_and_the_api() {
    let dir = common::scratch("nan-output");
    // Finite weights (the file loads) so large that every output overflows.
    let model = edited_model(&dir, "huge.safetensors", |m| {
        for layer in &mut m.net.layers {
            layer.weight.fill(3e38);
        }
    });
    let picture = fixture("mnist-t10k-0-black-on-white.png");
    let entry = &predict_json(&model, std::slice::from_ref(&picture), &[])[0];
    assert_eq!(entry["digit"], serde_json::Value::Null, "{entry}");
    assert_eq!(entry["label"], serde_json::Value::Null, "{entry}");
    assert!(
        entry["reason"].as_str().unwrap().contains("not a number"),
        "{entry}"
    );
    let out = digitnet(&["predict", "--model", &model, &picture]);
    assert!(
        stdout(&out).starts_with(&format!("{picture}: ?")),
        "{}",
        stdout(&out)
    );
    let entry = &predict_json(&model, std::slice::from_ref(&picture), &["--number"])[0];
    assert_eq!(entry["number"], serde_json::Value::Null, "{entry}");
    assert!(
        entry["reason"].as_str().unwrap().contains("not a number"),
        "{entry}"
    );

    let answer = api_answer(Model::load(&model).unwrap(), &picture);
    assert_eq!(answer["digit"], serde_json::Value::Null, "{answer}");
    assert_eq!(answer["uncertain"], true, "{answer}");
    assert!(
        answer["reason"].as_str().unwrap().contains("not a number"),
        "{answer}"
    );
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_folder_trained_model_names_its_classes_in_predict_and_the_api() {
    let dir = common::scratch("class-names");
    for (class, picture) in [
        ("seven", "mnist-t10k-0-black-on-white.png"),
        ("two", "mnist-t10k-1-black-on-white.jpg"),
        ("one", "mnist-t10k-2-white-on-black.png"),
    ] {
        fs::create_dir_all(dir.join("data").join(class)).unwrap();
        for i in 0..6 {
            let to = dir.join("data").join(class).join(format!("{i}-{picture}"));
            fs::copy(fixture(picture), to).unwrap();
        }
    }
    let model = dir.join("m.safetensors");
    let m = model.to_str().unwrap();
    // No --batch-size: the preset's 256 is clamped to the 12 rows trained on.
    let data = dir.join("data");
    let args = [
        "--dataset",
        data.to_str().unwrap(),
        "--epochs",
        "20",
        "-q",
        "--save",
        m,
    ];
    let out = digitnet(&args);
    assert!(out.status.success(), "{}", stderr(&out));

    let seven = fixture("mnist-t10k-0-black-on-white.png");
    let out = digitnet(&["predict", "--model", m, &seven]);
    let line = stdout(&out);
    let top = line.split("top 3: ").nth(1).unwrap_or_default();
    assert!(line.contains(": seven ("), "{line}");
    let names: Vec<&str> = top
        .split(", ")
        .map(|t| t.split(' ').next().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, ["one", "seven", "two"], "{line}");
    assert_eq!(names[0], "seven", "{line}");

    let entry = &predict_json(m, std::slice::from_ref(&seven), &[])[0];
    assert_eq!(entry["label"], "seven", "{entry}");
    assert_eq!(entry["top3"][0]["label"], "seven", "{entry}");
    assert_eq!(entry["top3"][0]["class"], entry["digit"], "{entry}");
    assert_eq!(floats(&entry["probabilities"]).len(), 3, "{entry}");

    // The API: one probability per class, and the class's name.
    let answer = api_answer(Model::load(&model).unwrap(), &seven);
    assert_eq!(answer["label"], "seven", "{answer}");
    assert_eq!(floats(&answer["probabilities"]).len(), 3, "{answer}");
    // A digit model: ten probabilities, the digit as its name.
    let answer = api_answer(mnist_support::fixture_model(), &seven);
    assert_eq!(answer["label"], "7", "{answer}");
    assert_eq!(answer["digit"], 7, "{answer}");
    assert_eq!(floats(&answer["probabilities"]).len(), 10, "{answer}");
    fs::remove_dir_all(dir).unwrap();
}
