//! `digitnet plot` and `digitnet train --out`: the picture files, their formats and sizes.

#![cfg(feature = "plot")]

mod common;

use std::path::Path;

use common::{digitnet_in, file_names, scratch, stderr, stdout};

/// Width and height from a PNG's IHDR chunk, after checking the signature.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is not a PNG",
        path.display()
    );
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

const QUICK: &[&str] = &["--epochs", "3", "--quiet"];

#[test]
fn plot_digits_writes_a_png_of_screen_size() {
    let dir = scratch("plot-digits");
    let out = digitnet_in(&dir, &["plot", "digits", "--out", "grid.png"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    assert_eq!(stderr(&out).trim(), "wrote the digits picture to grid.png");
    let quiet = digitnet_in(&dir, &["plot", "digits", "--out", "q.png", "-q"], &[]);
    assert!(quiet.status.success(), "{}", stderr(&quiet));
    assert_eq!(stderr(&quiet), "");
    let (w, h) = png_size(&dir.join("grid.png"));
    assert!((800..=1200).contains(&w) && h > 800, "{w}x{h}");
}

#[test]
fn plot_confusion_as_svg_into_a_folder() {
    let dir = scratch("plot-confusion");
    let args = [
        &["plot", "confusion", "--format", "svg", "--out", "."],
        QUICK,
    ]
    .concat();
    let out = digitnet_in(&dir, &args, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(file_names(&dir), ["confusion.svg"]);
    let svg = std::fs::read_to_string(dir.join("confusion.svg")).unwrap();
    assert!(svg.starts_with("<svg"), "{}", &svg[..50]);
    for text in ["predicted label", "true label", "-1"] {
        assert!(svg.contains(text), "missing {text:?}");
    }
}

#[test]
fn train_writes_every_picture_only_when_asked() {
    let dir = scratch("train-out");
    let out = digitnet_in(&dir, QUICK, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        file_names(&dir).is_empty(),
        "train without --out wrote files"
    );

    let out = digitnet_in(&dir, &[QUICK, &["--out"]].concat(), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let pictures = dir.join("digitnet-out");
    let names = [
        "confusion.png",
        "curves.png",
        "digits.png",
        "mistakes.png",
        "weights.png",
    ];
    assert_eq!(file_names(&pictures), names);
    for name in names {
        let (w, h) = png_size(&pictures.join(name));
        assert!((800..=1200).contains(&w) && h >= 200, "{name}: {w}x{h}");
    }
}

#[test]
fn the_format_follows_the_file_extension() {
    let dir = scratch("plot-extension");
    let out = digitnet_in(&dir, &["plot", "digits", "--random", "--out", "d.svg"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let svg = std::fs::read_to_string(dir.join("d.svg")).unwrap();
    assert!(svg.contains("random images of digits (seed 0)"));
}

#[test]
fn picture_mistakes_are_named_on_the_first_line_with_exit_code_2() {
    let dir = scratch("plot-errors");
    let cases: &[(&[&str], &str)] = &[
        (&["plot", "heat"], "invalid value 'heat' for '<KIND>'"),
        (
            &["plot", "digits", "--format", "jpg"],
            "invalid value 'jpg' for '--format",
        ),
        (&["--folds", "3", "--out", "x"], "--folds"),
        (
            &["plot", "digits", "--dataset", "nope"],
            "unknown data set 'nope'",
        ),
    ];
    for (args, expected) in cases {
        let out = digitnet_in(&dir, args, &[]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        // One line of our own, or clap's message with its usage lines.
        assert!(err.trim().lines().count() <= 5, "{args:?}: {err}");
        assert!(
            err.lines().next().unwrap_or("").contains(expected),
            "{args:?}: expected {expected:?} on the first line of {err}"
        );
    }
    assert!(file_names(&dir).is_empty(), "a failed command left files");
}

#[test]
fn an_unwritable_picture_path_is_named() {
    let dir = scratch("plot-unwritable");
    let out = digitnet_in(&dir, &["plot", "digits", "--out", "no/such/dir/d.png"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no/such/dir/d.png"),
        "{}",
        stderr(&out)
    );
}
