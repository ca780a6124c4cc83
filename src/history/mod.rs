//! Tamper-evident scan history: every `vigil scan --history DIR` appends its results
//! to a hash-chained ledger; `vigil history list|verify|diff|prune|record` read and
//! maintain it. Serves CCM LOG-11 / LOG-10: scan results are kept as audit records
//! whose alteration can be detected.
//!
//! # Ledger format (version 1)
//!
//! A history is a directory:
//!
//! ```text
//! DIR/ledger.jsonl          one entry per line, compact JSON, oldest first
//! DIR/results/<sha256>.json the results document of a scan, byte for byte as the
//!                           scan wrote it, named by its SHA-256 (lower-case hex)
//! DIR/HEAD                  the checkpoint of the last entry (below), rewritten after each append
//! DIR/lock                  flock(2) target serialising writers (never holds data)
//! ```
//!
//! The directory and `results/` must belong to the user running vigil and not be
//! writable by group or others, and no name in them may be a symbolic link: vigil
//! refuses the history otherwise (see [`dir`]). New files are 0600, new directories
//! 0700.
//!
//! An entry (fields in this order, optional ones left out when absent):
//!
//! | field | meaning |
//! |---|---|
//! | `seq` | 1, 2, 3, … (one more than the previous entry) |
//! | `time` | RFC 3339 UTC time the entry was appended (for a scan, `scan_started` says when it ran) |
//! | `kind` | `scan` or `prune` |
//! | `chain` | the chain identity, `<32 hex digits>@<host>`: 128 random bits and the host's name, chosen by the chain's first entry and the same in every later one (entries written before vigil recorded it lack it; the first entry a newer vigil appends to such a chain chooses it) |
//! | `host` | scan entries: the scanned host, the results' `scan.host.hostname` (entries written before vigil recorded it lack it; a vigil that predates the field refuses entries that have it, as it refuses any unknown field) |
//! | `scan_started` | scan entries: when the scan started, the results' `scan.started` (absent, like `host`, in older entries) |
//! | `results_sha256` | scan entries: SHA-256 of the results file |
//! | `prune` | prune entries: `{keep_days, cutoff, removed_count, removed_from_seq, removed_through_seq, removed_last_hash}` |
//! | `prev_hash` | `hash` of the previous entry; 64 zeros for the first entry |
//! | `public_key` | signed entries: the signer's Ed25519 public key, 32 bytes hex |
//! | `hash` | SHA-256 over `"vigil-history-v1\n"` followed by the compact JSON object `{seq, time, kind, chain, host, scan_started, results_sha256, prune, prev_hash, public_key}`, hex; absent values are `null`, except `chain`, `host` and `scan_started`, which are left out when absent so that entries written before they existed keep their hash |
//! | `signature` | signed entries: Ed25519 signature of the 32 raw bytes of `hash`, hex |
//!
//! `HEAD` is one line of compact JSON, the checkpoint of the last entry:
//! `{"format":"vigil-head-v2","chain":…,"seq":…,"hash":…,"public_key":…,"signature":…}`
//! (`public_key` and `signature` when the entries are signed: the Ed25519 signature,
//! hex, of `"vigil-history-head-v2\n"` followed by the compact JSON `{chain, seq, hash,
//! public_key}`). Without the private key, nobody can remove the newest entries and
//! write a checkpoint that matches. vigil before checkpoints wrote `SEQ HASH\n`; such
//! a `HEAD` still verifies without a key (`verify` says it is not a checkpoint), fails
//! with `--public-key`, and is replaced by the next append.
//!
//! Signing keys (`--sign-key FILE`) are Ed25519 private keys in PKCS#8, PEM or DER, as
//! `openssl genpkey -algorithm ed25519 -out key.pem` writes them. The trusted key for
//! `verify --public-key FILE` is the public half in PEM/DER SubjectPublicKeyInfo
//! (`openssl pkey -in key.pem -pubout -out key.pub`); a private key file works too.
//!
//! Writers take the lock, cut off an unterminated last line (a crash mid-append), write
//! the results file (a temporary `.tmp-<random>` created exclusively, fsync, rename),
//! append the entry line in a single write and fsync, then replace `HEAD` the same way
//! as results. Any crash therefore
//! leaves a ledger that verifies: at worst with a torn last line or a `HEAD` one entry
//! behind, both reported as warnings. `prune` removes a prefix of entries and appends
//! its own entry in one atomic rename of the ledger (see [`prune`]).
//!
//! The `vigil history` subcommands (their arguments, output and exit statuses) are
//! `crate::cli::history`; this module is the ledger itself.

pub(crate) mod diff;
pub(crate) mod dir;
pub(crate) mod error;
pub(crate) mod events;
pub(crate) mod ledger;
pub(crate) mod prune;
pub(crate) mod siem;
pub(crate) mod verify;

use std::path::PathBuf;

pub(crate) use error::{Error, Result};
pub(crate) use events::{Sink as EventSink, Target as EventTarget, emit};
pub(crate) use ledger::{Entry, Kind, latest_results, record_scan};

/// Where a finished scan's results go: the history to append to (signed with
/// `sign_key` when given) and the event target. What `vigil scan --history DIR
/// --sign-key FILE --events PATH` and `vigil history record` ask for.
#[derive(Debug, Clone, Default)]
pub(crate) struct Recording {
    pub history: Option<PathBuf>,
    pub sign_key: Option<PathBuf>,
    pub events: Option<EventSink>,
}

impl Recording {
    /// Whether anything is recorded at all.
    pub(crate) fn is_empty(&self) -> bool {
        self.history.is_none() && self.events.is_none()
    }

    /// Records a finished scan's results document and emits its events. Returns the
    /// new entry when a history was given.
    pub(crate) fn record(&self, results: &[u8]) -> Result<Option<Entry>> {
        let previous = match &self.history {
            Some(dir) if self.events.is_some() => latest_results(dir)?,
            _ => None,
        };
        let entry = self
            .history
            .as_deref()
            .map(|dir| record_scan(dir, results, self.sign_key.as_deref()))
            .transpose()?;
        if let Some(target) = &self.events {
            emit(previous.as_deref(), results, target, entry.as_ref())?;
        }
        Ok(entry)
    }
}
