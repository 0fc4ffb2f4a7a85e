//! Messages that help: a picture's name matches its format, a public address is
//! warned about, a model's metadata cannot drive the terminal, identical runs write
//! identical model files, and a model file that is a device or pipe is refused at once.

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
