//! Every fuzz entry point on its committed seed corpus, without libFuzzer: the
//! seeds must exist, be small, and pass the contract (no panic, messages on
//! errors). Run with `cargo test` inside `fuzz/`.

use std::fs;
use std::path::Path;

/// The memory budget is enforced here too, as in the fuzz targets.
#[global_allocator]
static ALLOC: digitnet_fuzz::Budgeted = digitnet_fuzz::Budgeted;

/// A fuzz entry point: the bytes of one input.
type Entry = fn(&[u8]);

const TARGETS: [(&str, Entry); 9] = [
    ("idx_raw", digitnet_fuzz::idx_file),
    ("idx_gzip", digitnet_fuzz::idx_gzip),
    ("idx_pair", digitnet_fuzz::idx_pair),
    ("csv", digitnet_fuzz::csv_file),
    ("digits", digitnet_fuzz::digits_file),
    ("model", digitnet_fuzz::model_file),
    ("model_restamped", digitnet_fuzz::model_restamped),
    ("image", digitnet_fuzz::image_file),
    ("serve_json", digitnet_fuzz::serve_json),
];

/// Tests take this lock so that the live-byte count moves only for the test that
/// reads it.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// The committed seeds of `target`.
fn seeds(target: &str) -> Vec<Vec<u8>> {
    named_seeds(target, "seed-")
}

/// The committed seeds of `target` whose names start with `prefix`.
fn named_seeds(target: &str, prefix: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    let mut found: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .collect();
    found.sort();
    found.iter().map(|p| fs::read(p).unwrap()).collect()
}

#[test]
fn every_target_has_small_seeds_that_keep_the_contract() {
    let _serial = serial();
    for (target, run) in TARGETS {
        let seeds = seeds(target);
        assert!(seeds.len() >= 2, "{target}: {} seeds", seeds.len());
        for seed in &seeds {
            assert!(
                seed.len() <= 8192,
                "{target}: a seed of {} bytes",
                seed.len()
            );
            run(seed);
            // Cut in half and with a byte flipped: still no panic.
            run(&seed[..seed.len() / 2]);
            let mut flipped = seed.clone();
            let middle = flipped.len() / 2;
            flipped[middle] ^= 0x55;
            run(&flipped);
        }
    }
}

#[test]
fn valid_seeds_parse() {
    let _serial = serial();
    use digitnet::Model;
    let model = &seeds("model")[0];
    assert!(Model::from_bytes(model, "seed").is_ok());
    for image in named_seeds("image", "seed-digit.") {
        assert!(digitnet::preprocess::decode(&image, "seed").is_ok());
    }
}

#[test]
fn the_allocator_counts_live_bytes() {
    let _serial = serial();
    // The test harness's own threads may allocate or free a little meanwhile.
    let slack = 1 << 20;
    let before = digitnet_fuzz::live_bytes();
    let block = vec![1u8; 8 << 20];
    assert!(digitnet_fuzz::live_bytes() + slack >= before + (8 << 20));
    drop(block);
    assert!(digitnet_fuzz::live_bytes() < before + slack);
}

/// Run by [`going_over_the_budget_aborts`] in a child process.
#[test]
#[ignore = "aborts on purpose; run as a child process"]
fn over_budget_child() {
    digitnet_fuzz::with_budget(0, 0, || {
        let block = vec![1u8; digitnet_fuzz::BASE_BUDGET + 1];
        std::hint::black_box(block);
    });
}

#[test]
fn going_over_the_budget_aborts() {
    let _serial = serial();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "over_budget_child",
            "--ignored",
            "--test-threads=1",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("memory budget exceeded"), "{stderr}");
}

#[test]
fn restamping_a_flipped_weight_makes_the_checksum_match_again() {
    let _serial = serial();
    use digitnet::Model;
    let mut bytes = seeds("model").remove(0);
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01; // the lowest bits of the last weight
    let err = Model::from_bytes(&bytes, "flipped")
        .unwrap_err()
        .to_string();
    assert!(err.contains("checksum"), "{err}");
    let restamped = digitnet_fuzz::restamp(&bytes).unwrap();
    assert!(Model::from_bytes(&restamped, "restamped").is_ok());
    // And in the layout this digitnet writes (format version 2, PyTorch's names).
    let model = digitnet_fuzz::small_digits_model().unwrap();
    let mut bytes = model.to_bytes("fresh").unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    assert!(Model::from_bytes(&bytes, "flipped").is_err());
    let restamped = digitnet_fuzz::restamp(&bytes).unwrap();
    assert!(Model::from_bytes(&restamped, "restamped").is_ok());
}

#[test]
fn a_pair_whose_counts_differ_is_refused_from_the_headers() {
    let _serial = serial();
    // One label; images claiming 20,000 28x28 pictures, gzip-compressed.
    let mut images = digitnet::data::idx::IMAGES_MAGIC.to_be_bytes().to_vec();
    for d in [20_000u32, 28, 28] {
        images.extend(d.to_be_bytes());
    }
    images.resize(images.len() + 20_000 * 784, 0);
    let mut labels = digitnet::data::idx::LABELS_MAGIC.to_be_bytes().to_vec();
    labels.extend(1u32.to_be_bytes());
    labels.push(3);
    let compressed = digitnet_fuzz::gzip(&images);
    let err = digitnet::data::idx::pair_from(
        (
            std::io::Cursor::new(&compressed),
            compressed.len() as u64,
            "images",
        ),
        (std::io::Cursor::new(&labels), labels.len() as u64, "labels"),
        "bomb",
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("holds 1 labels but its image file holds 20000 images"),
        "{err}"
    );
    // Through the fuzz entry (images gzip-compressed), within the budget of the
    // stored bytes.
    let mut input = vec![1u8];
    input.extend((labels.len() as u16).to_le_bytes());
    input.extend(&labels);
    input.extend(&images);
    digitnet_fuzz::idx_pair(&input);
}
