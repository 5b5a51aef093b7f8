//! What the binary's process tests share: a fresh working folder, a run of `oxid` with
//! input, and the lines a child process writes to its standard output.

#![allow(dead_code)] // each test file uses what it needs

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{Receiver, channel};

/// An empty folder under the system's temporary folder, unique per test and process.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("oxid-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The lines of `child`'s piped standard output, read on a thread of their own until the
/// process ends (so the server never blocks on a full pipe).
pub fn stdout_lines(child: &mut Child) -> Receiver<String> {
    let stdout = child.stdout.take().expect("stdout is piped");
    let (lines_tx, lines_rx) = channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    lines_rx
}

/// `oxid ARGS` in `dir` over its `oxid.db`, with `input` on standard input.
pub fn oxid_with_input(dir: &Path, args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_oxid"))
        .args(args)
        .env(
            "OXID_DATABASE",
            format!("sqlite://{}", dir.join("oxid.db").display()),
        )
        .env_remove("OXID_ISSUER")
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}
