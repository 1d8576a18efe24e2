//! Output files through the real binary: `--history` and `--plot` never replace a
//! device node, an input of the run or each other; every path is checked before the
//! descent starts; the history is streamed and thinned to a bounded number of rows.

mod common;

use common::nabla;
use serde_json::Value as Json;
use std::fs;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A fresh, empty directory for one test, holding a copy of the sigmoid example.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("outputs_{name}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let example = common::manifest_dir().join("examples/sigmoid.nabla");
    fs::copy(example, dir.join("sigmoid.nabla")).unwrap_or_else(|e| panic!("{e}"));
    dir
}

fn path(dir: &Path, file: &str) -> String {
    dir.join(file).display().to_string()
}

/// The names in `dir`, sorted (temporary files would show here).
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// `mknod dir/name c major minor`; `false` where this user may not make device nodes.
fn device(dir: &Path, name: &str, major: u32, minor: u32) -> bool {
    let node = dir.join(name);
    let made = Command::new("mknod")
        .arg(&node)
        .args(["c", &major.to_string(), &minor.to_string()])
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        eprintln!("skipped: cannot mknod here (not root)");
    }
    made
}

fn is_char_device(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_char_device())
}

#[test]
fn a_full_device_is_written_in_place_and_its_failure_is_exit_2() {
    let dir = scratch("full");
    if !device(&dir, "full", 1, 7) {
        return;
    }
    let program = path(&dir, "sigmoid.nabla");
    let (code, stdout, stderr) = nabla(&["minimize", &program, "--history", &path(&dir, "full")]);
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(stderr.contains("cannot write"), "{stderr}");
    assert!(stderr.contains("No space left"), "{stderr}");
    assert!(
        is_char_device(&dir.join("full")),
        "the device node was replaced"
    );
    assert_eq!(listing(&dir), ["full", "sigmoid.nabla"]);
}

#[test]
fn a_null_device_takes_the_history_and_stays_a_device() {
    let dir = scratch("null");
    if !device(&dir, "null", 1, 3) {
        return;
    }
    let program = path(&dir, "sigmoid.nabla");
    let (code, stdout, stderr) = nabla(&["minimize", &program, "--history", &path(&dir, "null")]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        is_char_device(&dir.join("null")),
        "the device node was replaced"
    );
    assert_eq!(listing(&dir), ["null", "sigmoid.nabla"]);
}

/// A FIFO is written in place: a reader at its other end gets the CSV.
#[test]
fn a_fifo_is_streamed_to_its_reader() {
    let dir = scratch("fifo");
    let fifo = dir.join("pipe");
    let made = Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo failed");
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::read_to_string(fifo).unwrap_or_default())
    };
    let program = path(&dir, "sigmoid.nabla");
    let (code, stdout, stderr) = nabla(&["minimize", &program, "--history", &path(&dir, "pipe")]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let text = reader.join().unwrap_or_default();
    assert!(
        text.starts_with("epoch,loss,grad_norm,rate,w,b\n"),
        "{text}"
    );
    assert_eq!(
        text.lines().count(),
        1002,
        "header, the start and 1000 epochs"
    );
    assert!(fs::symlink_metadata(&fifo).is_ok_and(|m| m.file_type().is_fifo()));
}

#[test]
fn an_output_that_is_an_input_is_refused_before_the_run() {
    let dir = scratch("inputs");
    let program = path(&dir, "sigmoid.nabla");
    let before = fs::read_to_string(&program).unwrap_or_default();
    // The program itself, also spelt another way.
    let other_spelling = format!("{}/../outputs_inputs/./sigmoid.nabla", dir.display());
    for output in [program.as_str(), other_spelling.as_str()] {
        let (code, stdout, stderr) = nabla(&["minimize", &program, "--history", output]);
        assert_eq!(code, Some(2), "{stdout}{stderr}");
        assert!(stderr.contains("which this run reads"), "{stderr}");
    }
    let plot_over = path(&dir, "sigmoid.nabla");
    let (code, _, stderr) = nabla(&["minimize", &program, "--plot", &plot_over]);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(fs::read_to_string(&program).unwrap_or_default(), before);
    // A CSV the program reads.
    let data = common::manifest_dir().join("examples");
    for file in ["linear_regression.nabla", "linear_regression.csv"] {
        fs::copy(data.join(file), dir.join(file)).unwrap_or_else(|e| panic!("{e}"));
    }
    let csv = path(&dir, "linear_regression.csv");
    let csv_before = fs::read_to_string(&csv).unwrap_or_default();
    let regression = path(&dir, "linear_regression.nabla");
    let (code, stdout, stderr) = nabla(&["minimize", &regression, "--history", &csv]);
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(stderr.contains("linear_regression.csv"), "{stderr}");
    assert_eq!(fs::read_to_string(&csv).unwrap_or_default(), csv_before);
}

#[test]
fn every_output_path_is_checked_before_anything_is_written() {
    let dir = scratch("validate");
    let program = path(&dir, "sigmoid.nabla");
    let history = path(&dir, "h.csv");
    let cases: [(&[&str], &str); 4] = [
        (
            &["--history", &history, "--plot", &path(&dir, "bad.txt")],
            ".svg or .png",
        ),
        (&["--history", &history, "--plot", &history], ".svg or .png"),
        (
            &["--history", &history, "--plot", &path(&dir, "nodir/p.svg")],
            "does not exist",
        ),
        (
            &[
                "--plot",
                &path(&dir, "p.svg"),
                "--history",
                &path(&dir, "p.svg"),
            ],
            "also the",
        ),
    ];
    for (flags, words) in cases {
        let mut args = vec!["minimize", program.as_str()];
        args.extend_from_slice(flags);
        let (code, stdout, stderr) = nabla(&args);
        assert_eq!(code, Some(2), "{flags:?}: {stdout}{stderr}");
        assert!(stderr.contains(words), "{flags:?}: {stderr}");
        assert_eq!(listing(&dir), ["sigmoid.nabla"], "{flags:?} wrote a file");
    }
}

/// Rows of the history file at `path`: (epoch, the rest of the line).
fn epochs(path: &Path) -> Vec<usize> {
    let text = fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .skip(1)
        .map(|l| {
            l.split(',')
                .next()
                .unwrap_or("")
                .parse()
                .unwrap_or(usize::MAX)
        })
        .collect()
}

#[test]
fn a_long_history_is_thinned_to_at_most_100000_rows_with_the_last_epoch() {
    let dir = scratch("thinned");
    let program = path(&dir, "sigmoid.nabla");
    let history = path(&dir, "h.csv");
    let args = [
        "minimize",
        &program,
        "--epochs",
        "250000",
        "--history",
        &history,
    ];
    let (code, stdout, stderr) = nabla(&args);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("history: one row every 3 epochs"),
        "{stdout}"
    );
    let rows = epochs(Path::new(&history));
    assert!(rows.len() <= 100_001, "{} rows", rows.len());
    assert_eq!(rows.first(), Some(&0));
    assert_eq!(rows.last(), Some(&250_000));
    assert!(rows[..rows.len() - 1].iter().all(|e| e % 3 == 0));
    assert_eq!(listing(&dir), ["h.csv", "sigmoid.nabla"]);
}

#[test]
fn history_every_keeps_every_kth_epoch_and_says_so_in_json() {
    let dir = scratch("every");
    let program = path(&dir, "sigmoid.nabla");
    let history = path(&dir, "h.csv");
    let args = [
        "minimize",
        &program,
        "--history",
        &history,
        "--history-every",
        "7",
        "--json",
    ];
    let (code, stdout, stderr) = nabla(&args);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let doc: Json = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(doc["history"]["every"], 7);
    let rows = epochs(Path::new(&history));
    let expected: Vec<usize> = (0..=1000).filter(|e| e % 7 == 0).chain([1000]).collect();
    assert_eq!(rows, expected);
    assert_eq!(doc["history"]["rows"], expected.len());
    for bad in ["0", "-3", "x"] {
        let args = [
            "minimize",
            &program,
            "--history",
            &history,
            "--history-every",
            bad,
        ];
        let (code, _, stderr) = nabla(&args);
        assert_eq!(code, Some(2), "{bad}: {stderr}");
        assert!(stderr.contains("at least 1"), "{stderr}");
    }
}

/// Small numbers in a history have an exponent, and every number reads back exactly.
#[test]
fn history_numbers_round_trip() {
    let dir = scratch("numbers");
    let program = path(&dir, "sigmoid.nabla");
    let history = path(&dir, "h.csv");
    let (code, json, _) = nabla(&["minimize", &program, "--history", &history, "--json"]);
    assert_eq!(code, Some(0));
    let doc: Json = serde_json::from_str(&json).unwrap_or_default();
    let text = fs::read_to_string(&history).unwrap_or_default();
    let last = text.lines().last().unwrap_or("");
    let fields: Vec<&str> = last.split(',').collect();
    assert_eq!(
        fields[1].parse::<f64>().ok(),
        doc["loss"].as_f64(),
        "{last}"
    );
    assert!(fields[1].contains('e'), "{last}");
    assert_eq!(fields[4].parse::<f64>().ok(), doc["params"]["w"].as_f64());
}
