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

#[cfg(unix)]
#[test]
fn save_through_a_symlink_replaces_its_target_and_keeps_the_mode() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let d = common::scratch("symlink");
    std::fs::create_dir(d.join("models")).unwrap();
    let real = d.join("models/m.safetensors");
    std::fs::write(&real, "not a model yet").unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
    let link = d.join("link.safetensors");
    symlink("models/m.safetensors", &link).unwrap();
    assert!(train_and_save(&link, "1", false).success());
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link was replaced by a file"
    );
    digitnet::Model::load(&real).expect("the link's target holds the model");
    let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the file's permissions were not kept");
    assert_eq!(common::file_names(&d.join("models")), ["m.safetensors"]);
}

#[cfg(unix)]
#[test]
fn log_json_into_a_fifo_is_written_through() {
    use std::os::unix::fs::FileTypeExt;
    let d = common::scratch("fifo");
    let fifo = d.join("log");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let out = common::digitnet(&["--epochs", "2", "-q", "--log-json", fifo.to_str().unwrap()]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let text = reader.join().unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
}

#[test]
fn save_to_a_folder_or_into_a_missing_one_fails_before_training() {
    let d = common::scratch("save-folder");
    for target in [d.clone(), d.join("missing/m.safetensors")] {
        let out = common::digitnet(&["--epochs", "1", "--save", target.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1));
        assert!(
            out.stdout.is_empty(),
            "training ran: {}",
            common::stdout(&out)
        );
        let err = common::stderr(&out);
        assert!(err.contains(target.to_str().unwrap()), "{err}");
    }
    let err = common::stderr(&common::digitnet(&["--save", d.to_str().unwrap()]));
    assert!(err.contains("is a folder, not a file"), "{err}");
}

#[cfg(target_os = "linux")]
#[test]
fn a_log_that_cannot_be_written_is_a_warning_and_the_model_is_saved() {
    let d = common::scratch("log-full");
    let model = d.join("m.safetensors");
    let out = common::digitnet(&[
        "--epochs",
        "2",
        "-q",
        "--log-json",
        "/dev/full",
        "--save",
        model.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let err = common::stderr(&out);
    assert!(
        err.contains("warning: the --log-json file was not written"),
        "{err}"
    );
    assert!(common::stdout(&out).contains("correct"), "no report");
    digitnet::Model::load(&model).expect("the model was saved");
}
