//! End-to-end: `digitnet serve`'s page in real headless Chromium.
//!
//! Starts the binary on an ephemeral loopback port and runs
//! `tests/browser/draw.mjs` (Node + playwright-core driving Debian's
//! `/usr/bin/chromium`): it draws all ten digits with the mouse and checks the
//! page reads each one, with the default model (the built-in 28x28 MNIST model),
//! with the 28x28 MNIST fixture model and with an 8x8 model saved here; tries
//! Undo, the keyboard and Clear; checks "not sure" with a server that is never
//! sure enough; and saves screenshots in `target/tmp/serve-browser/` (the other
//! models' runs in `mnist/` and `digits/`). A model of three named classes gets three
//! bars named by them, on the pad and in the number view of an uploaded photo
//! (screenshots in `classes/`).
//!
//! The test is `#[ignore]`d, so a plain `cargo test --release` lists it as ignored
//! with its reason: it needs Chromium and the script's npm package, which `cargo test`
//! never installs. `.ci/run` installs both (`apt-get install chromium`, `npm ci
//! --prefix tests/browser`), then runs it with
//! `cargo test --release --test serve_browser -- --ignored`. Run that way, a missing
//! Chromium, Node.js or playwright-core fails the test with a message that says how to
//! install it.

mod serve_support;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serve_support::ServeProcess;

/// Longest the browser script may take before it counts as hung.
const SCRIPT_LIMIT: Duration = Duration::from_secs(240);

/// Held by each test while it runs: one Chromium at a time on a small machine.
static ONE_BROWSER: Mutex<()> = Mutex::new(());

fn one_browser() -> MutexGuard<'static, ()> {
    ONE_BROWSER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

fn script_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// Checks that Chromium and the script's npm package are installed; says how if not.
fn require_tools() {
    assert!(
        chromium().exists(),
        "{} is missing: install it with `apt-get install -y chromium` (or set CHROMIUM)",
        chromium().display()
    );
    let package = script_dir().join("node_modules/playwright-core/package.json");
    assert!(
        package.exists(),
        "{} is missing: install the browser script's package with `npm ci --prefix tests/browser`",
        package.display()
    );
}

#[test]
#[ignore = "needs Chromium and `npm ci --prefix tests/browser`; .ci/run runs it with --ignored"]
fn drawn_digits_are_read_and_clear_resets_the_page() {
    require_tools();
    let _browser = one_browser();
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

    // A server that is never sure enough: the page must say "not sure". The 8x8
    // net's probabilities stay below 1; the MNIST model's reach 1.0 in f32 for a
    // clear digit, which meets even a threshold of 1.
    let server =
        ServeProcess::start(&["--model", digits.to_str().unwrap(), "--min-confidence", "1"]);
    run_script(&server, &out_dir, "unsure", &[("UNSURE", "1")]);
    assert_is_screenshot(&out_dir.join("page-unsure.png"));
    eprintln!("screenshots of the page: {}", out_dir.display());
}

/// The classes of the model of three classes, in its output order, and the digits of the
/// 8x8 set each one holds.
const THREE_CLASSES: [(&str, u8); 3] = [("zero", 0), ("one", 1), ("seven", 7)];

#[test]
#[ignore = "needs Chromium and `npm ci --prefix tests/browser`; .ci/run runs it with --ignored"]
fn a_model_of_three_named_classes_gets_three_bars_named_by_them() {
    require_tools();
    let _browser = one_browser();
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("serve-browser/classes");
    std::fs::create_dir_all(&out_dir).unwrap();
    for shot in ["page-classes.png", "page-classes-photo.png"] {
        let _ = std::fs::remove_file(out_dir.join(shot));
    }
    let model = out_dir.join("three.safetensors");
    save_three_class_model(&model);
    // MNIST's first test image, a 7.
    let photo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/mnist-t10k-0-black-on-white.png");
    let server = ServeProcess::start(&["--model", model.to_str().unwrap()]);
    let env = [
        ("CLASSES", "1"),
        ("DRAW", "017"),
        ("PHOTO", photo.to_str().unwrap()),
        ("PHOTO_NUMBER", "seven"),
    ];
    let summary = run_script(&server, &out_dir, "classes", &env);
    let names: Vec<&str> = THREE_CLASSES.iter().map(|(name, _)| *name).collect();
    assert_eq!(summary["labels"], serde_json::json!(names), "{summary}");
    for (name, digit) in THREE_CLASSES {
        assert_eq!(summary["read"][digit.to_string()], name, "{summary}");
    }
    assert_eq!(summary["photo"]["number"], "seven", "{summary}");
    assert_is_screenshot(&out_dir.join("page-classes.png"));
    assert_is_screenshot(&out_dir.join("page-classes-photo.png"));
}

/// Saves a net trained on the 8x8 digits 0, 1 and 7 only, as the classes "zero", "one"
/// and "seven" ([`THREE_CLASSES`]).
fn save_three_class_model(path: &Path) {
    use digitnet::{data, experiment, train};
    let digits = data::digits::load().unwrap();
    let (mut pixels, mut labels) = (Vec::new(), Vec::new());
    for i in 0..digits.len() {
        let class = THREE_CLASSES
            .iter()
            .position(|&(_, digit)| digits.labels[i] == digit);
        if let Some(class) = class {
            pixels.extend_from_slice(digits.image(i));
            labels.push(class as u8);
        }
    }
    let names = THREE_CLASSES.iter().map(|(name, _)| name.to_string());
    let shape = (digits.height, digits.width);
    let three = data::Dataset::new("three", pixels, labels, shape, digits.pixel_max, 3)
        .and_then(|d| d.with_class_names(names.collect()))
        .unwrap();
    let config = train::TrainConfig::standard();
    let run = experiment::holdout(&config, &three, 0.25, &mut train::Silent).unwrap();
    run.model().unwrap().save(path).unwrap();
}

/// Saves the default net of the 8x8 digits (`digitnet train`'s defaults) to `path`.
fn save_digits_model(path: &Path) {
    use digitnet::{data, experiment, train};
    let digits = data::digits::load().unwrap();
    let config = train::TrainConfig::standard();
    let run = experiment::holdout(&config, &digits, 0.25, &mut train::Silent).unwrap();
    run.model().unwrap().save(path).unwrap();
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
