//! Messages that help: a picture's name matches its format, a public address is
//! warned about, a model's metadata cannot drive the terminal, identical runs write
//! identical model files, a model file that is a device or pipe is refused at once, a
//! preset's batch size fits small data, a bad validation fraction is named, and names
//! that are not UTF-8 work and are shown escaped.

mod common;

use std::process::Stdio;

#[test]
fn plot_refuses_a_name_whose_extension_is_another_format() {
    let d = common::scratch("plot-ext");
    let jpg = d.join("x.jpg");
    let out = common::digitnet(&["plot", "digits", "--out", jpg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr(&out));
    assert!(common::stderr(&out).contains("name it .png or .svg"));
    assert!(!jpg.exists());
    let svg = d.join("x.svg");
    let out = common::digitnet(&["plot", "digits", "--out", svg.to_str().unwrap()]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
}

#[test]
fn serving_on_every_interface_warns_that_it_is_open_to_the_network() {
    let (mut child, seen) = common::serve("0.0.0.0:0", Stdio::null());
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        seen.contains("open to the network, with no authentication"),
        "{seen}"
    );
}

#[test]
fn identical_runs_write_identical_model_files() {
    let d = common::scratch("reproducible");
    let files: Vec<Vec<u8>> = ["a", "b"]
        .iter()
        .map(|name| {
            let path = d.join(format!("{name}.safetensors"));
            let out = common::digitnet(&["--epochs", "2", "-q", "--save", path.to_str().unwrap()]);
            assert!(out.status.success());
            std::fs::read(path).unwrap()
        })
        .collect();
    assert!(files[0] == files[1], "the two files differ");
}

#[cfg(target_os = "linux")]
#[test]
fn a_model_that_is_a_device_is_refused_without_reading_it() {
    let d = common::scratch("zero-model");
    let link = d.join("zero.safetensors");
    std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
    let start = std::time::Instant::now();
    let out = common::digitnet(&["info", link.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(common::stderr(&out).contains("is not a regular file"));
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
}

/// The first `rows` of the embedded 8x8 digits as a CSV file (label first).
fn digits_csv(dir: &std::path::Path, rows: usize) -> String {
    let digits = digitnet::data::digits::load().unwrap();
    let mut text = String::new();
    for (pixels, label) in digits
        .pixels
        .chunks_exact(64)
        .zip(&digits.labels)
        .take(rows)
    {
        let values: Vec<String> = pixels.iter().map(|v| v.to_string()).collect();
        text.push_str(&format!("{label},{}\n", values.join(",")));
    }
    let path = dir.join("small.csv");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn a_small_csv_trains_with_the_presets_batch_size_clamped_to_it() {
    let d = common::scratch("small-csv");
    // 200 rows: 150 to train, 137 after validation, under the preset's batch of 256.
    let csv = digits_csv(&d, 200);
    let out = common::digitnet(&["--dataset", &csv, "--epochs", "2", "-q", "--json"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&common::stdout(&out)).unwrap();
    assert_eq!(report["train_size"], 150, "{report}");
    // A batch size the user gives is kept, and refused by name when it is too large.
    let out = common::digitnet(&["--dataset", &csv, "--batch-size", "256", "-q"]);
    common::assert_refused(
        &out,
        "invalid batch size 256, which should be between 1 and the",
    );
}

#[test]
fn a_validation_fraction_of_0_99999_is_named_not_the_batch_size() {
    let out = common::digitnet(&["--validation-fraction", "0.99999", "--epochs", "1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = common::stderr(&out);
    assert!(
        err.contains("invalid validation fraction 0.99999, which should be from 0 to 0.5"),
        "{err}"
    );
    assert!(!err.contains("batch size"), "{err}");
}

/// Runs `digitnet` with arguments that need not be UTF-8.
#[cfg(unix)]
fn digitnet_os(args: &[&std::ffi::OsStr]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_digitnet"))
        .args(args)
        .output()
        .unwrap()
}

#[cfg(unix)]
#[test]
fn names_that_are_not_utf8_work_and_are_shown_escaped() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let d = common::scratch("not-utf8");
    let data = d.join(OsStr::from_bytes(b"d\xffta"));
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for (class, picture) in [
        (&b"s\xe9ven"[..], "mnist-t10k-0-black-on-white.png"),
        (b"two", "mnist-t10k-1-black-on-white.jpg"),
    ] {
        let folder = data.join(OsStr::from_bytes(class));
        std::fs::create_dir_all(&folder).unwrap();
        for i in 0..5 {
            std::fs::copy(fixtures.join(picture), folder.join(format!("{i}.png"))).unwrap();
        }
    }
    // --dataset takes the path as it is, and the model keeps the class name escaped.
    let model = d.join("m.safetensors");
    let out = digitnet_os(&[
        "--dataset".as_ref(),
        data.as_os_str(),
        "--epochs".as_ref(),
        "3".as_ref(),
        "-q".as_ref(),
        "--save".as_ref(),
        model.as_os_str(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = common::digitnet(&["info", model.to_str().unwrap()]);
    let info = common::stdout(&out);
    assert!(info.contains("classes: s\\xE9ven two"), "{info}");
    // An empty class folder of that kind is named as it is, never as U+FFFD.
    std::fs::create_dir(data.join(OsStr::from_bytes(b"\xfe"))).unwrap();
    let train: Vec<&OsStr> = vec!["--dataset".as_ref(), data.as_os_str(), "-q".as_ref()];
    let eval: Vec<&OsStr> = vec![
        "eval".as_ref(),
        "--model".as_ref(),
        model.as_os_str(),
        "--dataset".as_ref(),
        data.as_os_str(),
    ];
    for (args, expected) in [
        (train, "d\\xFFta/\\xFE: no images in this class folder"),
        (
            eval,
            "d\\xFFta/\\xFE: '\\xFE' is not one of the classes s\\xE9ven two",
        ),
    ] {
        let out = digitnet_os(&args);
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(expected), "{err}");
        assert!(!err.contains('\u{fffd}'), "{err}");
    }
    // A missing file and an unknown data set: the name escaped, the flag's message.
    let missing = d.join(OsStr::from_bytes(b"n\xf6pe.png"));
    let out = digitnet_os(&["predict".as_ref(), missing.as_os_str()]);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("n\\xF6pe.png: No such file"), "{err}");
    let out = digitnet_os(&[
        "plot".as_ref(),
        "digits".as_ref(),
        "--dataset".as_ref(),
        missing.as_os_str(),
    ]);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("unknown data set '") && err.contains("n\\xF6pe.png'"),
        "{err}"
    );
}
