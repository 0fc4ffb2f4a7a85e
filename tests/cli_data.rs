//! `digitnet --dataset PATH` and the IDX flags, run through the built binary:
//! good data trains and reports; bad data is a one-line error naming the file.

mod common;

use std::path::{Path, PathBuf};

use common::{digitnet, stderr};
use digitnet::data::{Dataset, mnist};

fn idx_images(d: &Dataset) -> Vec<u8> {
    let mut b = 0x0803u32.to_be_bytes().to_vec();
    for v in [d.len(), d.height, d.width] {
        b.extend((v as u32).to_be_bytes());
    }
    b.extend(d.pixels.iter().map(|&p| p as u8));
    b
}

fn idx_labels(d: &Dataset) -> Vec<u8> {
    let mut b = 0x0801u32.to_be_bytes().to_vec();
    b.extend((d.len() as u32).to_be_bytes());
    b.extend_from_slice(&d.labels);
    b
}

/// Writes rows `train` and `test` of MNIST's test part as a raw IDX folder.
fn mnist_folder(name: &str, train: usize, test: usize) -> PathBuf {
    let all = mnist::test().unwrap();
    let dir = common::scratch(name);
    let a = all.subset(&(0..train).collect::<Vec<_>>());
    let b = all.subset(&(train..train + test).collect::<Vec<_>>());
    for (part, d) in [("train", &a), ("t10k", &b)] {
        std::fs::write(dir.join(format!("{part}-images-idx3-ubyte")), idx_images(d)).unwrap();
        std::fs::write(dir.join(format!("{part}-labels-idx1-ubyte")), idx_labels(d)).unwrap();
    }
    dir
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn an_idx_folder_trains_on_its_official_split_with_json_and_text() {
    let dir = mnist_folder("json", 1500, 500);
    let small = [
        "--hidden",
        "64",
        "--dropout",
        "0.2",
        "--epochs",
        "4",
        "--batch-size",
        "32",
        "--lr",
        "0.003",
        "-q",
    ];
    let out = digitnet(&[&["--dataset", s(&dir), "--json"], &small[..]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["train_size"], 1500);
    assert_eq!(json["validation_size"], 125);
    assert_eq!(json["test_size"], 500);
    assert_eq!(json["activation"], "relu");
    assert!(json["test_accuracy"].as_f64().unwrap() > 0.8, "{json}");
    assert!(json["augment"].is_null());
    let out = digitnet(&[&["--dataset", s(&dir), "--json", "--augment"], &small[..]].concat());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["augment"]["elastic"], 2.0, "{json}");
    let out = digitnet(&[&["--dataset", s(&dir)], &small[..]].concat());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("trained on 1375 images, validated on 125, tested on 500"),
        "{text}"
    );
}

#[test]
fn the_four_idx_flags_name_the_files_one_by_one() {
    let dir = mnist_folder("flags", 600, 200);
    let f = |n: &str| dir.join(n).to_str().unwrap().to_string();
    let (ti, tl) = (f("train-images-idx3-ubyte"), f("train-labels-idx1-ubyte"));
    let (si, sl) = (f("t10k-images-idx3-ubyte"), f("t10k-labels-idx1-ubyte"));
    let args = [
        "--train-images",
        &ti,
        "--train-labels",
        &tl,
        "--test-images",
        &si,
        "--test-labels",
        &sl,
        "--hidden",
        "16",
        "--epochs",
        "1",
        "--json",
        "-q",
    ];
    let out = digitnet(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["test_size"], 200);
    let out = digitnet(&["--train-images", &ti, "--test-images", &si]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn mismatched_counts_are_an_error_naming_the_labels() {
    let dir = mnist_folder("mismatch", 100, 50);
    let other = mnist_folder("mismatch-other", 100, 40);
    std::fs::copy(
        other.join("t10k-labels-idx1-ubyte"),
        dir.join("t10k-labels-idx1-ubyte"),
    )
    .unwrap();
    let out = digitnet(&["--dataset", s(&dir), "-q"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("t10k-labels-idx1-ubyte: holds 40 labels but its image file holds 50"),
        "{err}"
    );
}

#[test]
fn a_csv_file_is_split_by_the_test_fraction() {
    let dir = common::scratch("csv");
    let good = dir.join("tiny.csv");
    let mut text = String::from("label,p0,p1,p2,p3\n");
    for i in 0..40 {
        let c = i % 2;
        text += &format!("{c},{},{},{},{}\n", 200 * c, 10, 200 * (1 - c), i);
    }
    std::fs::write(&good, text).unwrap();
    let out = digitnet(&[
        "--dataset",
        s(&good),
        "--test-fraction",
        "0.25",
        "--epochs",
        "2",
        "--hidden",
        "8",
        "--batch-size",
        "8",
        "--json",
        "-q",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (json["train_size"].as_u64(), json["test_size"].as_u64()),
        (Some(30), Some(10))
    );
}

#[test]
fn a_csv_with_its_label_last_and_no_flag_trains_on_the_last_column() {
    // The file: no header, the first pixel always 0, three classes in the last
    // column. Read with the label first, it trained to "100.00% correct" on one class.
    let dir = common::scratch("csv-last");
    let file = dir.join("last.csv");
    let row = |i: usize| {
        let c = i % 3;
        let pixels: Vec<String> = (0..16)
            .map(|p| if p > 0 && p % 3 == c { 200 } else { i % 7 }.to_string())
            .collect();
        format!("0,{},{c}\n", pixels[1..].join(","))
    };
    std::fs::write(&file, (0..60).map(row).collect::<String>()).unwrap();
    let run = |extra: &[&str]| {
        let args = [
            "--dataset",
            s(&file),
            "--epochs",
            "2",
            "--hidden",
            "8",
            "--batch-size",
            "8",
            "--json",
            "-q",
        ];
        let out = digitnet(&[&args[..], extra].concat());
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let auto = run(&[]);
    let last = run(&["--label-column", "last"]);
    assert_eq!(
        auto["test_accuracy"], last["test_accuracy"],
        "{auto}\n{last}"
    );
    assert_eq!(auto["confusion"], last["confusion"], "{auto}\n{last}");
    // The true labels are the last column's three classes (-1 is "no digit").
    let labels = &auto["confusion"]["labels"];
    assert_eq!(labels, &serde_json::json!([-1, 0, 1, 2]), "{auto}");

    // With only two classes the columns cannot be told apart: refused, naming the file.
    let two = dir.join("two.csv");
    let text: String = (0..60).map(row).collect::<String>().replace(",2\n", ",1\n");
    std::fs::write(&two, text).unwrap();
    let out = digitnet(&["--dataset", s(&two), "-q"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("two.csv: cannot tell which column holds the labels")
            && err.contains("--label-column"),
        "{err}"
    );
}

#[test]
fn an_empty_image_folder_is_refused_by_name() {
    let dir = common::scratch("images");
    let out = digitnet(&["--dataset", s(&dir), "-q"]);
    let err = stderr(&out);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains(s(&dir)), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
