//! End-to-end: `digitnet serve`'s page in real headless Chromium.
//!
//! Starts the binary on an ephemeral loopback port and runs
//! `tests/browser/draw.mjs` (Node + playwright-core driving Debian's
//! `/usr/bin/chromium`): it draws all ten digits with the mouse and checks the
//! page reads each one, with the default model (the built-in 28x28 MNIST model),
//! with the 28x28 MNIST fixture model and with an 8x8 model saved here; tries
//! Undo, the keyboard and Clear; checks "not sure" with a server that is never
//! sure enough; and saves screenshots in `target/tmp/serve-browser/` (the other
//! models' runs in `mnist/` and `digits/`).
//!
//! `.ci/run` installs Chromium and the script's npm package. Elsewhere, a missing
//! Chromium skips this test with a loud message, except under `CI=true`, where
//! everything it needs must be there and the test fails if it is not.

mod serve_support;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serve_support::ServeProcess;

/// Longest the browser script may take before it counts as hung.
const SCRIPT_LIMIT: Duration = Duration::from_secs(240);

fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

fn script_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// Installs playwright-core from the committed lock file when it is missing.
fn ensure_playwright() {
    let dir = script_dir();
    if dir
        .join("node_modules/playwright-core/package.json")
        .exists()
    {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .status();
    assert!(
        matches!(status, Ok(s) if s.success()),
        "`npm ci` in {} failed ({status:?}); the browser test needs Node.js, npm and playwright-core",
        dir.display()
    );
}

#[test]
fn drawn_digits_are_read_and_clear_resets_the_page() {
    if !chromium().exists() {
        assert!(
            !under_ci(),
            "CI=true but {} is missing: .ci/run should have installed it (apt-get install -y chromium)",
            chromium().display()
        );
        eprintln!(
            "\n\n!!!!!!!!!! SKIPPED the browser test: {} not found. Install it with `apt-get install -y chromium`. !!!!!!!!!!\n\n",
            chromium().display()
        );
        return;
    }
    ensure_playwright();
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("serve-browser");
    std::fs::create_dir_all(&out_dir).unwrap();
    let _ = std::fs::remove_file(out_dir.join("page-unsure.png"));

    // The default model (the built-in MNIST model, 28x28), the MNIST fixture
    // (28x28), then the default net of the 8x8 digits.
    let mnist =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mnist-784-128-10.safetensors");
    let digits = out_dir.join("digits.safetensors");
    save_digits_model(&digits);
    for (args, dir) in [
        (vec![], out_dir.clone()),
        (
            vec!["--model", mnist.to_str().unwrap()],
            out_dir.join("mnist"),
        ),
        (
            vec!["--model", digits.to_str().unwrap()],
            out_dir.join("digits"),
        ),
    ] {
        std::fs::create_dir_all(&dir).unwrap();
        for shot in SHOTS {
            let _ = std::fs::remove_file(dir.join(shot));
        }
        let server = ServeProcess::start(&args);
        let summary = run_script(&server, &dir, "full", &[]);
        for d in 0..10 {
            assert_eq!(summary["read"][d.to_string()], d.to_string(), "{summary}");
        }
        for shot in SHOTS {
            assert_is_screenshot(&dir.join(shot));
        }
        drop(server);
    }

    // A server that is never sure enough: the page must say "not sure".
    let server = ServeProcess::start(&["--min-confidence", "1"]);
    run_script(&server, &out_dir, "unsure", &[("UNSURE", "1")]);
    assert_is_screenshot(&out_dir.join("page-unsure.png"));
    eprintln!("screenshots of the page: {}", out_dir.display());
}

/// Saves the default net of the 8x8 digits (`digitnet train`'s defaults) to `path`.
fn save_digits_model(path: &Path) {
    use digitnet::{Model, data, experiment, train};
    let digits = data::digits::load().unwrap();
    let config = train::TrainConfig::standard();
    let run = experiment::holdout(&config, &digits, 0.25, &mut train::Silent).unwrap();
    Model::from_run(&run, &digits).unwrap().save(path).unwrap();
}

/// The screenshots of the full run.
const SHOTS: [&str; 3] = ["page-3.png", "page-cleared.png", "page-phone.png"];

fn assert_is_screenshot(path: &Path) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        bytes.starts_with(b"\x89PNG") && bytes.len() > 5000,
        "{} is not a screenshot",
        path.display()
    );
}

/// Runs draw.mjs against `server`, logs in `out_dir/draw-NAME.*`; its JSON summary.
fn run_script(
    server: &ServeProcess,
    out_dir: &Path,
    name: &str,
    env: &[(&str, &str)],
) -> serde_json::Value {
    let log = out_dir.join(format!("draw-{name}.log"));
    let err_log = out_dir.join(format!("draw-{name}.err"));
    let mut node = Command::new("node")
        .arg(script_dir().join("draw.mjs"))
        .arg(&server.url)
        .arg(out_dir)
        .env("CHROMIUM", chromium())
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(File::create(&log).unwrap())
        .stderr(File::create(&err_log).unwrap())
        .spawn()
        .expect("run node (Node.js is needed for the browser test)");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = node.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > SCRIPT_LIMIT {
            let _ = node.kill();
            let _ = node.wait();
            panic!("the browser script ({name}) took more than {SCRIPT_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let summary = std::fs::read_to_string(&log).unwrap();
    let errors = std::fs::read_to_string(&err_log).unwrap();
    assert!(
        status.success(),
        "the browser test ({name}) failed ({status}):\n{summary}\n{errors}"
    );
    serde_json::from_str(summary.trim()).unwrap()
}
