//! Messages as good as clap's own: usage errors, grouped help with its defaults, flags
//! only where they act, completions and the manual page, through the built binary.

mod common;

use common::{digitnet, scratch, stderr, stdout};
use digitnet::train::{Recipe, TrainConfig};

/// The help text of one option: its line and the lines that continue it.
fn option_help(help: &str, flag: &str) -> String {
    let mut lines = help.lines().skip_while(|l| {
        !l.trim_start()
            .split(", ")
            .any(|part| part.split([' ', '=']).next() == Some(flag))
    });
    let mut text = lines
        .next()
        .unwrap_or_else(|| panic!("{flag} not in:\n{help}"))
        .to_string();
    for l in lines.take_while(|l| !l.trim_start().starts_with('-') && !l.trim().is_empty()) {
        text.push(' ');
        text.push_str(l.trim());
    }
    text
}

#[test]
fn train_help_groups_options_and_shows_each_recipes_defaults() {
    let out = digitnet(&["train", "--help"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let help = stdout(&out);
    let at = |heading: &str| {
        help.find(&format!("\n{heading}:\n"))
            .unwrap_or_else(|| panic!("no {heading} group in:\n{help}"))
    };
    // Data first, output last, the network and its training between.
    assert!(at("Data") < at("Network").min(at("Training")), "{help}");
    assert!(at("Network").max(at("Training")) < at("Output"), "{help}");
    let (standard, mnist, blog) = (
        TrainConfig::standard(),
        TrainConfig::mnist(),
        TrainConfig::blog(),
    );
    let expect = [
        ("--lr", vec![standard.lr.to_string(), blog.lr.to_string()]),
        (
            "--epochs",
            [standard.epochs, mnist.epochs, blog.epochs]
                .map(|n| n.to_string())
                .to_vec(),
        ),
        (
            "--batch-size",
            [&standard, &mnist]
                .map(|c| match &c.recipe {
                    Recipe::Standard(s) => s.batch_size.to_string(),
                    Recipe::Blog(_) => panic!("--batch-size is the standard recipe's"),
                })
                .to_vec(),
        ),
        (
            "--hidden",
            vec![standard.hidden[0].to_string(), mnist.hidden[0].to_string()],
        ),
        ("--dropout", vec![standard.dropout.to_string()]),
    ];
    for (flag, values) in expect {
        let text = option_help(&help, flag);
        let default = text
            .split("[default: ")
            .nth(1)
            .unwrap_or_else(|| panic!("{flag} shows no default: {text}"));
        for v in values {
            assert!(default.contains(&v), "{flag}: {v} missing from {text}");
        }
    }
}

#[test]
fn usage_errors_keep_clap_s_own_text() {
    let out = digitnet(&["predict"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("<IMAGES>...") && err.contains("Usage:"),
        "{err}"
    );

    let out = digitnet(&["train", "--batchsize", "3"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("a similar argument exists: '--batch-size'"),
        "{err}"
    );
}

#[test]
fn negative_numbers_reach_the_setting_s_own_check() {
    let out = digitnet(&["train", "--lr", "-1", "--epochs", "1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("learning rate -1"), "{err}");
}

#[test]
fn quiet_and_threads_before_the_command_apply_to_it() {
    let out = digitnet(&["-q", "--threads", "1", "train", "--epochs", "1", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(v["epochs_run"], 1);
}

#[test]
fn threads_is_offered_only_where_a_network_runs() {
    let info = stdout(&digitnet(&["info", "--help"]));
    assert!(
        info.contains("--json") && !info.contains("--threads"),
        "{info}"
    );
    for command in ["train", "eval", "predict", "plot", "serve", "bench"] {
        let help = stdout(&digitnet(&[command, "--help"]));
        assert!(help.contains("--threads"), "{command}:\n{help}");
    }
    let out = digitnet(&["info", "--threads", "2", "m.safetensors"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("'--threads'"), "{}", stderr(&out));
}

#[test]
fn far_too_many_threads_are_capped_with_a_note() {
    let out = digitnet(&[
        "train",
        "--threads",
        "100000",
        "--epochs",
        "1",
        "-q",
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let cap = 4 * std::thread::available_parallelism().unwrap().get();
    let err = stderr(&out);
    assert!(
        err.contains("--threads 100000 is more than") && err.contains(&format!("using {cap}")),
        "{err}"
    );
}

#[test]
fn save_says_what_it_wrote_unless_quiet() {
    let dir = scratch("help-save");
    let path = dir.join("m.safetensors");
    let p = path.to_str().unwrap();
    let out = digitnet(&["train", "--epochs", "1", "--save", p]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("saved the model to {p}")),
        "{}",
        stderr(&out)
    );
    assert!(path.is_file());
    let out = digitnet(&["train", "--epochs", "1", "--save", p, "-q"]);
    assert!(out.status.success());
    assert_eq!(stderr(&out), "");

    let out = digitnet(&["eval", "--model", p]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("scored all 1797 images of 'digits'"), "{err}");
    assert!(err.contains("include its training images"), "{err}");
}

#[test]
fn completions_and_the_manual_page_cover_the_commands() {
    let out = digitnet(&["completions", "bash"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let script = stdout(&out);
    assert!(
        script.contains("_digitnet") && script.contains("--batch-size"),
        "{script}"
    );
    assert!(script.contains("predict") && script.contains("serve"));

    let out = digitnet(&["completions", "fish"]);
    assert!(stdout(&out).contains("complete -c digitnet"));

    let out = digitnet(&["man"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let page = stdout(&out);
    assert!(page.contains(".TH digitnet 1"), "{page}");
    assert!(
        page.contains("completions") && page.contains("predict"),
        "{page}"
    );

    let out = digitnet(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("possible values"), "{}", stderr(&out));
}
