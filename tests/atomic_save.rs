//! Saving never loses a model: a process killed between writing and renaming leaves
//! the previous file intact and loadable; a normal run leaves no temporary file.
//! (Ctrl-C during training saving the best weights: tests/cli_train.rs.)

mod common;

use std::path::Path;
use std::process::Command;

fn train_and_save(path: &Path, seed: &str, abort: bool) -> std::process::ExitStatus {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_digitnet"));
    cmd.args(["--epochs", "3", "-q", "--seed", seed, "--save"])
        .arg(path);
    if abort {
        cmd.env("DIGITNET_TEST_ABORT_BEFORE_RENAME", "1");
    }
    cmd.output().unwrap().status
}

#[test]
fn a_crash_before_the_rename_keeps_the_previous_model() {
    let d = common::scratch("crash");
    let path = d.join("model.safetensors");
    assert!(train_and_save(&path, "1", false).success());
    assert_eq!(
        common::file_names(&d),
        ["model.safetensors"],
        "a normal run left a temporary file"
    );
    let before = std::fs::read(&path).unwrap();

    let status = train_and_save(&path, "2", true);
    assert!(!status.success(), "the hook did not fire");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the old model was touched"
    );
    digitnet::Model::load(&path).expect("the old model still loads");
}
