//! vigil's integration tests: one binary, one module per area. Each runs the real
//! `vigil` binary against fixture trees and real tools (oscap, sshd, setfacl, dpkg).

#[macro_use]
mod snap;

mod baseline_restore;
mod benchmark;
mod cli;
mod engine;
mod hostile;
mod keymgmt;
mod keymgmt_lifecycle;
mod keymgmt_matrix;
mod keymgmt_proofs;
mod keymgmt_software;
mod keymgmt_vault;
mod messages;
mod nil_entities;
mod offline;
mod readme;
mod remote;
mod ssg;
mod trust_history;
mod trust_limits;
mod trust_remote;
mod trust_root;
mod trust_terminal;
mod trust_writes;
mod waivers;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "../../src/testtool.rs"]
mod testtool;
pub use testtool::tool;

pub const VIGIL: &str = env!("CARGO_BIN_EXE_vigil");

pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// Runs `vigil` with arguments; returns the output.
pub fn vigil(args: &[&str]) -> Output {
    Command::new(VIGIL).args(args).output().expect("run vigil")
}

/// Runs `vigil scan ... --json -` and parses the results document.
pub fn scan_json(args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = vec!["scan"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--json", "-", "--quiet"]);
    let out = vigil(&all);
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "vigil {all:?} printed no JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), doc)
}
