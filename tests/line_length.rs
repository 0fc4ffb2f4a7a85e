//! No line of code over 100 characters (the house rule; rustfmt keeps Rust code to it but
//! leaves string literals, comments and every other language alone).
//!
//! Checked: every `.rs` file (`src/`, `tests/`, `benches/`, `examples/`, `build.rs`, the
//! fuzz crate), the page's JavaScript, HTML and CSS, the browser test's `.mjs`, the
//! Python and shell scripts of `bench/` and `fuzz/`, the `Cargo.toml` files and
//! `.ci/run`. Markdown prose, the licences, fonts, data sets, test pictures, the fuzz
//! corpus and installed npm packages are not code and are left out.

use std::path::{Path, PathBuf};

/// The longest line allowed, in characters.
const MAX_CHARS: usize = 100;

/// The folders searched, from the crate's root.
const FOLDERS: [&str; 6] = ["src", "tests", "benches", "examples", "bench", "fuzz"];

/// Single files checked besides the folders' files.
const FILES: [&str; 3] = ["build.rs", "Cargo.toml", ".ci/run"];

/// The endings of the files checked in the folders.
const CODE: [&str; 8] = ["rs", "js", "mjs", "html", "css", "py", "sh", "toml"];

/// Folders that hold no code of ours (build output, npm packages, fuzz inputs).
const SKIPPED: [&str; 3] = ["target", "node_modules", "corpus"];

/// The code files under `dir`.
fn code_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if path.is_dir() {
            if !SKIPPED.contains(&name.as_ref()) {
                code_files(&path, out);
            }
        } else if path
            .extension()
            .is_some_and(|e| CODE.contains(&e.to_string_lossy().as_ref()))
        {
            out.push(path);
        }
    }
}

/// Each line of `text` over [`MAX_CHARS`] characters: its number (from 1) and length.
fn long_lines(text: &str) -> Vec<(usize, usize)> {
    text.lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.chars().count()))
        .filter(|&(_, chars)| chars > MAX_CHARS)
        .collect()
}

#[test]
fn no_line_of_code_is_over_100_characters() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = FILES.iter().map(|f| root.join(f)).collect();
    for folder in FOLDERS {
        code_files(&root.join(folder), &mut files);
    }
    // The walk reaches every kind of file it is meant to check.
    for expected in [
        "src/lib.rs",
        "src/serve/page/app.js",
        "src/serve/page/index.html",
        "tests/browser/draw.mjs",
        "bench/compare.py",
        "Cargo.toml",
    ] {
        assert!(
            files.contains(&root.join(expected)),
            "{expected} is not checked"
        );
    }
    let mut offences = Vec::new();
    for file in &files {
        let text =
            std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let name = file.strip_prefix(root).unwrap_or(file).display();
        for (line, chars) in long_lines(&text) {
            offences.push(format!("{name}:{line}: {chars} characters"));
        }
    }
    assert!(
        offences.is_empty(),
        "{} lines are over {MAX_CHARS} characters (rewrap them):\n{}",
        offences.len(),
        offences.join("\n")
    );
}

#[test]
fn a_long_line_is_found_by_its_number_and_characters_not_bytes() {
    let at_limit = "é".repeat(MAX_CHARS);
    let over = "x".repeat(MAX_CHARS + 1);
    let text = format!("short\n{at_limit}\r\n{over}\n");
    assert_eq!(long_lines(&text), [(3, MAX_CHARS + 1)]);
    assert!(long_lines("").is_empty());
}
