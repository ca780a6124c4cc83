//! The ledger files: reading, appending under a lock, signing. The format is described
//! in the [`crate::history`] module docs.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::dir::HistoryDir;
use super::error::{Error, Result};
use vigil_core::osutil::{hex, sha256_hex, unhex};

pub(crate) const LEDGER_FILE: &str = "ledger.jsonl";
pub(crate) const HEAD_FILE: &str = "HEAD";
pub(crate) const LOCK_FILE: &str = "lock";
pub(crate) const RESULTS_DIR: &str = "results";
/// `prev_hash` of the first entry of a history.
pub(crate) const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Domain separation for the entry hash, so a ledger hash cannot be confused with the
/// SHA-256 of some other document.
const HASH_DOMAIN: &[u8] = b"vigil-history-v1\n";
/// What a signed checkpoint (`HEAD`) signs: this tag, then the compact JSON of
/// `{chain, seq, hash, public_key}`.
const HEAD_DOMAIN: &[u8] = b"vigil-history-head-v2\n";
/// The `format` of a checkpoint.
pub(crate) const HEAD_FORMAT: &str = "vigil-head-v2";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Kind {
    Scan,
    Prune,
    /// `vigil baseline restore`: files put back from a known-good store.
    Restore,
}

/// What a restore entry records: which store (its manifest's hash and signer), where it
/// restored to, and what it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RestoreRecord {
    /// The store directory as given.
    pub store: String,
    /// SHA-256 of the store's manifest (the baseline restored from).
    pub manifest_sha256: String,
    /// Fingerprint of the key the manifest's signature verified with; absent when
    /// `--allow-unsigned` restored from an unsigned store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_by: Option<String>,
    /// The tree restored under (`/`, or `--root`).
    pub root: String,
    pub restored: u64,
    pub refused: u64,
    /// Files found that the baseline does not have (kept).
    pub added: u64,
    /// The first [`RestoreRecord::MAX_PATHS`] paths restored or refused, each with
    /// what was done (`restored` or `refused`), as `ACTION PATH`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
}

impl RestoreRecord {
    /// At most this many paths are named in the entry (the counts are always whole).
    pub(crate) const MAX_PATHS: usize = 100;
}

/// What a prune entry removed: entries `removed_from_seq..=removed_through_seq`, the last
/// of which had hash `removed_last_hash` (the `prev_hash` of the first entry kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PruneRecord {
    pub keep_days: u64,
    /// Entries older than this (RFC 3339) were removed.
    pub cutoff: String,
    pub removed_count: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed_from_seq: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed_through_seq: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed_last_hash: Option<String>,
}

/// One line of `ledger.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Entry {
    pub seq: u64,
    /// RFC 3339, UTC, when the entry was appended (not when the scan ran: `history
    /// record` can append a document saved long before; see `scan_started`).
    pub time: String,
    pub kind: Kind,
    /// The chain's identity, `<32 hex digits>@<host>`: chosen at random when the chain
    /// got its first entry (or its first entry written by a vigil that records it),
    /// the same in every later entry, under the hash and signature, so that entries of
    /// one host's chain cannot stand in for another's. Absent in entries written before
    /// vigil recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<String>,
    /// Scan entries: the scanned host's name, the results' `scan.host.hostname`.
    /// Entries written before vigil recorded it do not have it (`HashedBody` says how
    /// they still verify).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Scan entries: when the scan started, the results' `scan.started` (RFC 3339).
    /// Absent, like `host`, in entries written before vigil recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan_started: Option<String>,
    /// SHA-256 of the stored results document (scan entries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results_sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prune: Option<PruneRecord>,
    /// Restore entries: what `vigil baseline restore` did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore: Option<RestoreRecord>,
    pub prev_hash: String,
    /// Ed25519 public key (32 bytes, hex) of the signer; covered by `hash`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    pub hash: String,
    /// Ed25519 signature (64 bytes, hex) over the 32 raw bytes of `hash`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// The fields the entry hash covers, in a fixed order. Fields added after version 1 of
/// the format are left out of the hashed JSON when absent, instead of being `null`, so
/// the entries written before them hash exactly as they did and their chain (and
/// signatures, which sign the hash) still verify; when present they are covered.
#[derive(Serialize)]
struct HashedBody<'a> {
    seq: u64,
    time: &'a str,
    kind: Kind,
    #[serde(skip_serializing_if = "Option::is_none")]
    chain: &'a Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    host: &'a Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scan_started: &'a Option<String>,
    results_sha256: &'a Option<String>,
    prune: &'a Option<PruneRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    restore: &'a Option<RestoreRecord>,
    prev_hash: &'a str,
    public_key: &'a Option<String>,
}

impl Entry {
    /// SHA-256 over the domain tag and the compact JSON of the hashed fields.
    pub(crate) fn compute_hash(&self) -> String {
        let body = HashedBody {
            seq: self.seq,
            time: &self.time,
            kind: self.kind,
            chain: &self.chain,
            host: &self.host,
            scan_started: &self.scan_started,
            results_sha256: &self.results_sha256,
            prune: &self.prune,
            restore: &self.restore,
            prev_hash: &self.prev_hash,
            public_key: &self.public_key,
        };
        let mut h = Sha256::new();
        h.update(HASH_DOMAIN);
        h.update(serde_json::to_vec(&body).expect("entry body serializes"));
        hex(&h.finalize())
    }

    /// The exact line written to the ledger (without the newline).
    pub(crate) fn to_line(&self) -> String {
        serde_json::to_string(self).expect("entry serializes")
    }

    /// Checks `signature` against `key`. `Ok(false)` when unsigned.
    pub(crate) fn signature_valid(&self, key: &VerifyingKey) -> std::result::Result<bool, String> {
        let Some(sig) = &self.signature else {
            return Ok(false);
        };
        let sig = unhex(sig)
            .and_then(|b| <[u8; 64]>::try_from(b).ok())
            .ok_or("signature is not 64 hex-encoded bytes")?;
        let msg = unhex(&self.hash).ok_or("hash is not hex")?;
        key.verify(&msg, &Signature::from_bytes(&sig))
            .map(|()| true)
            .map_err(|_| "signature does not verify".to_string())
    }

    /// The public key embedded in the entry.
    pub(crate) fn embedded_key(&self) -> std::result::Result<Option<VerifyingKey>, String> {
        embedded_key(&self.public_key)
    }

    fn seal(&mut self, key: Option<&SigningKey>) {
        self.public_key = key.map(|k| hex(k.verifying_key().as_bytes()));
        self.hash = self.compute_hash();
        self.signature = key.map(|k| {
            let msg = unhex(&self.hash).expect("own hash is hex");
            hex(&k.sign(&msg).to_bytes())
        });
    }
}

fn embedded_key(k: &Option<String>) -> std::result::Result<Option<VerifyingKey>, String> {
    let Some(k) = k else {
        return Ok(None);
    };
    let bytes = unhex(k)
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or("public_key is not 32 hex-encoded bytes")?;
    VerifyingKey::from_bytes(&bytes)
        .map(Some)
        .map_err(|e| format!("public_key: {e}"))
}

/// `HEAD` as vigil writes it now: a checkpoint of the chain's last entry, signed when
/// the entries are, so that removing the newest entries and rewriting `HEAD` to match
/// needs the private key. One line of compact JSON, fields in this order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Checkpoint {
    /// [`HEAD_FORMAT`].
    pub format: String,
    /// The chain identity of the entries (see [`Entry::chain`]).
    pub chain: String,
    pub seq: u64,
    pub hash: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    /// Ed25519 signature over [`HEAD_DOMAIN`] followed by the compact JSON of `{chain,
    /// seq, hash, public_key}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

#[derive(Serialize)]
struct SignedHead<'a> {
    chain: &'a str,
    seq: u64,
    hash: &'a str,
    public_key: &'a Option<String>,
}

impl Checkpoint {
    fn message(&self) -> Vec<u8> {
        let mut m = HEAD_DOMAIN.to_vec();
        m.extend(
            serde_json::to_vec(&SignedHead {
                chain: &self.chain,
                seq: self.seq,
                hash: &self.hash,
                public_key: &self.public_key,
            })
            .expect("checkpoint serializes"),
        );
        m
    }

    /// The checkpoint of `entry` (which carries a chain identity), signed with `key`.
    pub(crate) fn of(entry: &Entry, key: Option<&SigningKey>) -> Checkpoint {
        let mut c = Checkpoint {
            format: HEAD_FORMAT.into(),
            chain: entry.chain.clone().unwrap_or_default(),
            seq: entry.seq,
            hash: entry.hash.clone(),
            public_key: key.map(|k| hex(k.verifying_key().as_bytes())),
            signature: None,
        };
        c.signature = key.map(|k| hex(&k.sign(&c.message()).to_bytes()));
        c
    }

    pub(crate) fn embedded_key(&self) -> std::result::Result<Option<VerifyingKey>, String> {
        embedded_key(&self.public_key)
    }

    /// Checks the signature against `key`; `Ok(false)` when unsigned.
    pub(crate) fn signature_valid(&self, key: &VerifyingKey) -> std::result::Result<bool, String> {
        let Some(sig) = &self.signature else {
            return Ok(false);
        };
        let sig = unhex(sig)
            .and_then(|b| <[u8; 64]>::try_from(b).ok())
            .ok_or("signature is not 64 hex-encoded bytes")?;
        key.verify(&self.message(), &Signature::from_bytes(&sig))
            .map(|()| true)
            .map_err(|_| "signature does not verify".to_string())
    }
}

/// `HEAD` as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Head {
    /// `SEQ HASH`, as vigil wrote it before checkpoints: unsigned, no chain identity.
    Legacy {
        seq: u64,
        hash: String,
    },
    Checkpoint(Checkpoint),
}

impl Head {
    pub(crate) fn seq(&self) -> u64 {
        match self {
            Head::Legacy { seq, .. } => *seq,
            Head::Checkpoint(c) => c.seq,
        }
    }
    pub(crate) fn hash(&self) -> &str {
        match self {
            Head::Legacy { hash, .. } => hash,
            Head::Checkpoint(c) => &c.hash,
        }
    }
}

/// A new chain identity: 128 random bits and the host the chain is about.
pub(crate) fn new_chain_id(host: &str) -> String {
    format!("{}@{host}", vigil_core::osutil::random_hex16())
}

/// Reads an Ed25519 private key: PEM PKCS#8 (`openssl genpkey -algorithm ed25519`) or
/// the same as DER.
pub(crate) fn load_signing_key(path: &Path) -> Result<SigningKey> {
    let bytes = vigil_core::osutil::read_whole_input(path).map_err(Error::io(path))?;
    let key_err = |message: String| Error::Key {
        path: path.to_path_buf(),
        message,
    };
    if let Ok(text) = std::str::from_utf8(&bytes)
        && text.contains("-----BEGIN")
    {
        return SigningKey::from_pkcs8_pem(text)
            .map_err(|e| key_err(format!("not a PEM PKCS#8 Ed25519 private key: {e}")));
    }
    SigningKey::from_pkcs8_der(&bytes)
        .map_err(|e| key_err(format!("not a DER PKCS#8 Ed25519 private key: {e}")))
}

/// Reads a trusted Ed25519 public key: PEM SubjectPublicKeyInfo (`openssl pkey -pubout`);
/// a private key file is accepted too and its public half used.
pub(crate) fn load_verifying_key(path: &Path) -> Result<VerifyingKey> {
    let bytes = vigil_core::osutil::read_whole_input(path).map_err(Error::io(path))?;
    let text = String::from_utf8_lossy(&bytes);
    if let Ok(k) = VerifyingKey::from_public_key_pem(&text) {
        return Ok(k);
    }
    if let Ok(k) = VerifyingKey::from_public_key_der(&bytes) {
        return Ok(k);
    }
    load_signing_key(path)
        .map(|k| k.verifying_key())
        .map_err(|_| Error::Key {
            path: path.to_path_buf(),
            message: "not an Ed25519 public key (PEM or DER SubjectPublicKeyInfo) \
                      nor a PKCS#8 private key"
                .into(),
        })
}

/// One line of the ledger as read from disk.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    /// 1-based line number.
    pub number: usize,
    pub text: String,
    pub entry: std::result::Result<Entry, String>,
}

/// The ledger file as read: complete lines, and the bytes of an unterminated last line
/// (a write interrupted by a crash) if there is one.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ledger {
    pub lines: Vec<Line>,
    pub torn_tail: Option<String>,
}

impl Ledger {
    /// Parsed entries; the first unreadable line is an error.
    pub(crate) fn entries(&self, dir: &Path) -> Result<Vec<Entry>> {
        self.lines
            .iter()
            .map(|l| {
                l.entry.clone().map_err(|message| Error::Corrupt {
                    path: dir.join(LEDGER_FILE),
                    line: l.number,
                    message,
                })
            })
            .collect()
    }
}

pub(crate) fn parse_ledger(bytes: &[u8]) -> Ledger {
    let text = String::from_utf8_lossy(bytes);
    let mut ledger = Ledger::default();
    let mut rest: &str = &text;
    let mut number = 0;
    while !rest.is_empty() {
        number += 1;
        match rest.find('\n') {
            Some(i) => {
                let line = &rest[..i];
                rest = &rest[i + 1..];
                ledger.lines.push(Line {
                    number,
                    text: line.to_string(),
                    entry: serde_json::from_str::<Entry>(line).map_err(|e| e.to_string()),
                });
            }
            None => {
                ledger.torn_tail = Some(rest.to_string());
                break;
            }
        }
    }
    ledger
}

/// Reads `DIR/ledger.jsonl` (empty when it does not exist yet).
pub(crate) fn read_ledger(dir: &Path) -> Result<Ledger> {
    read_ledger_in(&HistoryDir::open(dir, false)?)
}

pub(crate) fn read_ledger_in(h: &HistoryDir) -> Result<Ledger> {
    Ok(h.read(LEDGER_FILE)?
        .map(|b| parse_ledger(&b))
        .unwrap_or_default())
}

/// `DIR/HEAD`: the checkpoint of the last entry written, updated after each append.
#[cfg(test)]
pub(crate) fn read_head(dir: &Path) -> Result<Option<Head>> {
    read_head_in(&HistoryDir::open(dir, false)?)
}

pub(crate) fn read_head_in(h: &HistoryDir) -> Result<Option<Head>> {
    let path = h.path().join(HEAD_FILE);
    let Some(bytes) = h.read(HEAD_FILE)? else {
        return Ok(None);
    };
    let text = String::from_utf8_lossy(&bytes);
    let corrupt = |message: String| Error::Corrupt {
        path: path.clone(),
        line: 1,
        message,
    };
    if text.starts_with('{') {
        let c: Checkpoint = serde_json::from_str(text.trim_end())
            .map_err(|e| corrupt(format!("not a checkpoint: {e}")))?;
        if c.format != HEAD_FORMAT {
            return Err(corrupt(format!("unknown checkpoint format {:?}", c.format)));
        }
        return Ok(Some(Head::Checkpoint(c)));
    }
    let mut it = text.split_whitespace();
    let seq = it.next().and_then(|s| s.parse().ok());
    let hash = it.next().map(str::to_string);
    match (seq, hash) {
        (Some(seq), Some(hash)) => Ok(Some(Head::Legacy { seq, hash })),
        _ => Err(corrupt("expected a checkpoint or `SEQ HASH`".into())),
    }
}

pub(crate) fn results_path(dir: &Path, sha: &str) -> PathBuf {
    dir.join(RESULTS_DIR).join(results_name(sha))
}

pub(crate) fn results_name(sha: &str) -> String {
    format!("{sha}.json")
}

/// An exclusive advisory lock (flock) on `DIR/lock`, held until dropped. flock locks
/// belong to the open file description, so threads of one process exclude each other
/// as well as separate processes do.
pub(crate) struct DirLock {
    _file: File,
}

pub(crate) fn lock_dir(h: &HistoryDir) -> Result<DirLock> {
    let file = h.open_file(LOCK_FILE, libc::O_RDWR | libc::O_CREAT)?;
    file.lock().map_err(Error::io(h.path().join(LOCK_FILE)))?;
    Ok(DirLock { _file: file })
}

pub(crate) fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// What to append: a scan's results (with what the entry records about the scan), or a
/// prune record.
pub(crate) enum Payload<'a> {
    Scan(&'a [u8], ScanFacts),
    Prune(PruneRecord),
    Restore(RestoreRecord),
}

/// What a scan entry records about the scan besides its results' hash, taken from the
/// results document: the entry itself then says which host it is about, under its hash
/// and signature, for `history list` and for whatever reads the ledger.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ScanFacts {
    /// `scan.host.hostname`.
    pub host: Option<String>,
    /// `scan.started`.
    pub started: Option<String>,
}

impl ScanFacts {
    /// The facts of a parsed results document; missing fields stay `None`.
    pub(crate) fn of(results: &serde_json::Value) -> ScanFacts {
        let text = |p: &str| {
            results
                .pointer(p)
                .and_then(serde_json::Value::as_str)
                .map(str::to_string)
        };
        ScanFacts {
            host: text("/scan/host/hostname"),
            started: text("/scan/started"),
        }
    }
}

/// What an entry records, before it is sealed.
pub(crate) enum Body {
    Scan {
        results_sha256: String,
        facts: ScanFacts,
    },
    Prune(PruneRecord),
    Restore(RestoreRecord),
}

/// Appends one entry while holding the directory lock. The caller holds `_lock`.
/// An unterminated last line (an append interrupted by a crash) is cut off first; a
/// complete line that does not parse stops the append, since chaining onto an entry
/// that cannot be checked would hide the damage.
/// A signed history stays signed: an unsigned entry after a signed one would make
/// `history verify --public-key` fail later, far from the command that caused it, so
/// the append is refused now, naming the flag that is missing.
pub(crate) fn refuse_unsigned_after_signed(
    dir: &Path,
    last: &Entry,
    key: Option<&SigningKey>,
) -> Result<()> {
    if key.is_none() && last.signature.is_some() {
        return Err(Error::Usage(format!(
            "{}: the history is signed (entry {} carries a signature): give --sign-key to add to it",
            dir.display(),
            last.seq
        )));
    }
    Ok(())
}

pub(crate) fn append_locked(
    h: &HistoryDir,
    _lock: &DirLock,
    payload: Payload<'_>,
    key: Option<&SigningKey>,
) -> Result<Entry> {
    let dir = h.path();
    let ledger_path = dir.join(LEDGER_FILE);
    // HEAD is replaced after the entry is appended: a link or other file there that
    // would refuse the replacement must stop the append first, not leave an entry
    // without its checkpoint.
    if let Err(e @ Error::Untrusted { .. }) = read_head_in(h) {
        return Err(e);
    }
    let mut file = h.open_file(LEDGER_FILE, libc::O_RDWR | libc::O_CREAT | libc::O_APPEND)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(Error::io(&ledger_path))?;
    let ledger = parse_ledger(&bytes);
    if ledger.torn_tail.is_some() {
        let keep = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        file.set_len(keep as u64).map_err(Error::io(&ledger_path))?;
        file.seek(SeekFrom::End(0))
            .map_err(Error::io(&ledger_path))?;
    }
    let (seq, prev_hash, chain) = match ledger.lines.last() {
        None => (1, GENESIS.to_string(), None),
        Some(l) => {
            let e = l.entry.as_ref().map_err(|m| Error::Corrupt {
                path: ledger_path.clone(),
                line: l.number,
                message: m.clone(),
            })?;
            refuse_unsigned_after_signed(dir, e, key)?;
            (e.seq + 1, e.hash.clone(), e.chain.clone())
        }
    };
    let entry = match payload {
        Payload::Scan(results, facts) => {
            let sha = sha256_hex(results);
            let name = results_name(&sha);
            // Same hash, same bytes: an identical earlier results file is reused.
            if !h.result_exists(&name)? {
                h.replace_result(&name, results)?;
            }
            let chain = chain.unwrap_or_else(|| {
                new_chain_id(
                    &facts
                        .host
                        .clone()
                        .unwrap_or_else(vigil_core::osutil::hostname),
                )
            });
            let body = Body::Scan {
                results_sha256: sha,
                facts,
            };
            new_entry(seq, prev_hash, chain, body, key)
        }
        Payload::Prune(p) => {
            let chain = chain.unwrap_or_else(|| new_chain_id(&vigil_core::osutil::hostname()));
            new_entry(seq, prev_hash, chain, Body::Prune(p), key)
        }
        Payload::Restore(r) => {
            let chain = chain.unwrap_or_else(|| new_chain_id(&vigil_core::osutil::hostname()));
            new_entry(seq, prev_hash, chain, Body::Restore(r), key)
        }
    };
    let mut line = entry.to_line();
    line.push('\n');
    // One write of the whole line on an O_APPEND descriptor: readers see either no line
    // or a complete one unless the machine dies mid-write (the torn tail case).
    file.write_all(line.as_bytes())
        .map_err(Error::io(&ledger_path))?;
    file.sync_all().map_err(Error::io(&ledger_path))?;
    write_head(h, &entry, key)?;
    Ok(entry)
}

/// A sealed (hashed, optionally signed) entry.
pub(crate) fn new_entry(
    seq: u64,
    prev_hash: String,
    chain: String,
    body: Body,
    key: Option<&SigningKey>,
) -> Entry {
    let (kind, results_sha256, facts, prune, restore) = match body {
        Body::Scan {
            results_sha256,
            facts,
        } => (Kind::Scan, Some(results_sha256), facts, None, None),
        Body::Prune(p) => (Kind::Prune, None, ScanFacts::default(), Some(p), None),
        Body::Restore(r) => (Kind::Restore, None, ScanFacts::default(), None, Some(r)),
    };
    let mut entry = Entry {
        seq,
        time: now_rfc3339(),
        kind,
        chain: Some(chain),
        host: facts.host,
        scan_started: facts.started,
        results_sha256,
        prune,
        restore,
        prev_hash,
        public_key: None,
        hash: String::new(),
        signature: None,
    };
    entry.seal(key);
    entry
}

/// Replaces `HEAD` with the checkpoint of `entry`, signed with `key` if given.
pub(crate) fn write_head(h: &HistoryDir, entry: &Entry, key: Option<&SigningKey>) -> Result<()> {
    let mut line = serde_json::to_string(&Checkpoint::of(entry, key)).expect("serializes");
    line.push('\n');
    h.replace(HEAD_FILE, line.as_bytes())
}

/// Appends a scan's results document to the history in `dir` (created if needed),
/// signed with the Ed25519 key in `sign_key` if given.
pub(crate) fn record_scan(dir: &Path, results: &[u8], sign_key: Option<&Path>) -> Result<Entry> {
    let facts = ScanFacts::of(
        &vigil_core::model::from_json_slice::<serde_json::Value>(results)
            .map_err(|e| Error::InvalidResults(e.to_string()))?,
    );
    let key = sign_key.map(load_signing_key).transpose()?;
    let h = HistoryDir::open(dir, true)?;
    let lock = lock_dir(&h)?;
    append_locked(&h, &lock, Payload::Scan(results, facts), key.as_ref())
}

/// Appends a restore entry to the history in `dir` (created if needed), signed with the
/// Ed25519 key in `sign_key` if given.
pub(crate) fn record_restore(
    dir: &Path,
    record: RestoreRecord,
    sign_key: Option<&Path>,
) -> Result<Entry> {
    let key = sign_key.map(load_signing_key).transpose()?;
    let h = HistoryDir::open(dir, true)?;
    let lock = lock_dir(&h)?;
    append_locked(&h, &lock, Payload::Restore(record), key.as_ref())
}

/// Reads the stored results document of a scan entry.
pub(crate) fn read_results(dir: &Path, entry: &Entry) -> Result<Vec<u8>> {
    read_results_in(&HistoryDir::open(dir, false)?, entry)
}

pub(crate) fn read_results_in(h: &HistoryDir, entry: &Entry) -> Result<Vec<u8>> {
    let sha = entry
        .results_sha256
        .as_deref()
        .ok_or_else(|| Error::NotFound(format!("entry {} is not a scan", entry.seq)))?;
    h.read_result(&results_name(sha))?.ok_or_else(|| Error::Io {
        path: results_path(h.path(), sha),
        source: std::io::Error::from(std::io::ErrorKind::NotFound),
    })
}

/// The results document of the latest scan in the history, if any (for comparing a new
/// scan against, e.g. to emit events).
pub(crate) fn latest_results(dir: &Path) -> Result<Option<Vec<u8>>> {
    let h = match HistoryDir::open(dir, false) {
        Ok(h) => h,
        // The first scan of a history that does not exist yet.
        Err(Error::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let entries = read_ledger_in(&h)?.entries(dir)?;
    match entries.iter().rev().find(|e| e.kind == Kind::Scan) {
        Some(e) => read_results_in(&h, e).map(Some),
        None => Ok(None),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::fs::{self, OpenOptions};
    use std::process::Command;

    /// A PEM PKCS#8 Ed25519 key generated by the real openssl.
    pub(crate) fn openssl_key(dir: &Path, name: &str) -> PathBuf {
        let p = dir.join(name);
        let st = crate::testtool::tool("openssl")
            .args(["genpkey", "-algorithm", "ed25519", "-out"])
            .arg(&p)
            .status()
            .expect("openssl runs");
        assert!(st.success());
        p
    }

    pub(crate) fn results_doc(rules: &[(&str, &str)]) -> Vec<u8> {
        let rules: Vec<_> = rules
            .iter()
            .map(|(id, r)| {
                serde_json::json!({"id": id, "title": format!("title of {id}"),
                    "severity": "medium", "result": r, "messages": [], "evidence": null})
            })
            .collect();
        serde_json::to_vec(&serde_json::json!({
            "schema_version": 1,
            "scan": {"host": {"hostname": "h1"}, "started": "2024-01-01T00:00:00Z"},
            "rules": rules,
        }))
        .unwrap()
    }

    /// A copy of `tests/fixtures/history-v1`: two entries written by vigil before
    /// entries recorded the host and the scan time (the second one signed).
    pub(crate) fn v1_history() -> tempfile::TempDir {
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/history-v1");
        let d = tempfile::tempdir().unwrap();
        for rel in [LEDGER_FILE, HEAD_FILE] {
            fs::copy(fixture.join(rel), d.path().join(rel)).unwrap();
        }
        fs::create_dir(d.path().join(RESULTS_DIR)).unwrap();
        for f in fs::read_dir(fixture.join(RESULTS_DIR)).unwrap() {
            let f = f.unwrap();
            fs::copy(f.path(), d.path().join(RESULTS_DIR).join(f.file_name())).unwrap();
        }
        d
    }

    #[test]
    fn entries_without_the_newer_fields_keep_their_hash() {
        let d = v1_history();
        let ledger = read_ledger(d.path()).unwrap();
        let es = ledger.entries(d.path()).unwrap();
        assert_eq!(es.len(), 2);
        for (e, line) in es.iter().zip(&ledger.lines) {
            assert_eq!((&e.host, &e.scan_started), (&None, &None));
            assert_eq!(e.compute_hash(), e.hash);
            assert_eq!(e.to_line(), line.text);
        }
        let key = es[1].embedded_key().unwrap().unwrap();
        assert_eq!(es[1].signature_valid(&key), Ok(true));
        // A new entry chains onto them and records the host and scan time, under its
        // hash.
        // (Entry 2 is signed, so the new one must be too.)
        let k = openssl_key(d.path(), "k.pem");
        let e3 = record_scan(d.path(), &results_doc(&[("a", "fail")]), Some(&k)).unwrap();
        assert_eq!((e3.seq, e3.prev_hash.as_str()), (3, es[1].hash.as_str()));
        assert_eq!(e3.host.as_deref(), Some("h1"));
        assert_eq!(e3.scan_started.as_deref(), Some("2024-01-01T00:00:00Z"));
        assert!(
            e3.to_line()
                .contains(r#""host":"h1","scan_started":"2024-01-01T00:00:00Z","#),
            "{}",
            e3.to_line()
        );
        let mut edited = e3.clone();
        edited.host = Some("h2".into());
        assert_ne!(edited.compute_hash(), e3.hash);
        edited.host = None;
        assert_ne!(edited.compute_hash(), e3.hash);
        let mut edited = e3.clone();
        edited.scan_started = Some("2024-01-02T00:00:00Z".into());
        assert_ne!(edited.compute_hash(), e3.hash);
        // The chain identity, chosen by this first entry of a vigil that records it, is
        // covered too.
        assert!(e3.chain.as_ref().unwrap().ends_with("@h1"));
        let mut edited = e3.clone();
        edited.chain = Some(new_chain_id("h1"));
        assert_ne!(edited.compute_hash(), e3.hash);
        edited.chain = None;
        assert_ne!(edited.compute_hash(), e3.hash);
    }

    #[test]
    fn appends_chain_and_store_results_by_hash() {
        let d = tempfile::tempdir().unwrap();
        let r1 = results_doc(&[("a", "pass")]);
        let e1 = record_scan(d.path(), &r1, None).unwrap();
        let e2 = record_scan(d.path(), &results_doc(&[("a", "fail")]), None).unwrap();
        assert_eq!((e1.seq, e2.seq), (1, 2));
        assert_eq!(e1.prev_hash, GENESIS);
        assert_eq!(e2.prev_hash, e1.hash);
        assert_eq!(e1.hash, e1.compute_hash());
        let stored = fs::read(results_path(d.path(), e1.results_sha256.as_ref().unwrap())).unwrap();
        assert_eq!(stored, r1);
        let head = read_head(d.path()).unwrap().unwrap();
        assert_eq!((head.seq(), head.hash()), (2, e2.hash.as_str()));
        assert_eq!(e1.chain, e2.chain);
        assert!(
            e1.chain.as_ref().unwrap().ends_with("@h1"),
            "{:?}",
            e1.chain
        );
        match head {
            Head::Checkpoint(c) => assert_eq!(
                (c.chain.as_str(), c.signature.as_deref()),
                (e2.chain.as_deref().unwrap(), None)
            ),
            h => panic!("{h:?}"),
        }
        let lines = read_ledger(d.path()).unwrap();
        assert_eq!(lines.lines.len(), 2);
        assert_eq!(lines.lines[1].text, e2.to_line());
        assert_eq!(
            latest_results(d.path()).unwrap().unwrap(),
            results_doc(&[("a", "fail")])
        );
    }

    #[test]
    fn signed_checkpoint_covers_chain_seq_and_hash() {
        let d = tempfile::tempdir().unwrap();
        let k = load_signing_key(&openssl_key(d.path(), "k.pem")).unwrap();
        let e = new_entry(
            1,
            GENESIS.into(),
            new_chain_id("h1"),
            Body::Prune(PruneRecord {
                keep_days: 1,
                cutoff: "2024-01-01T00:00:00Z".into(),
                removed_count: 0,
                removed_from_seq: None,
                removed_through_seq: None,
                removed_last_hash: None,
            }),
            Some(&k),
        );
        let c = Checkpoint::of(&e, Some(&k));
        assert_eq!(c.signature_valid(&k.verifying_key()), Ok(true));
        let line = serde_json::to_string(&c).unwrap();
        assert!(
            line.starts_with(r#"{"format":"vigil-head-v2","chain":""#),
            "{line}"
        );
        for edit in [
            |c: &mut Checkpoint| c.seq += 1,
            |c: &mut Checkpoint| c.hash = GENESIS.into(),
            |c: &mut Checkpoint| c.chain = "0@h2".into(),
        ] {
            let mut x = c.clone();
            edit(&mut x);
            assert!(x.signature_valid(&k.verifying_key()).is_err());
        }
        assert_eq!(
            Checkpoint::of(&e, None).signature_valid(&k.verifying_key()),
            Ok(false)
        );
    }

    /// A restore entry chains like any other, verifies, and its record is under the
    /// hash; the scan entries before it keep their hash (the field is left out of the
    /// hashed JSON when absent).
    #[test]
    fn restore_entries_are_chained_signed_and_covered_by_the_hash() {
        let d = tempfile::tempdir().unwrap();
        let k = openssl_key(d.path(), "k.pem");
        let hist = d.path().join("h");
        let e1 = record_scan(&hist, &results_doc(&[("a", "pass")]), Some(&k)).unwrap();
        assert!(!e1.to_line().contains("restore"), "{}", e1.to_line());
        let rec = RestoreRecord {
            store: "/var/lib/vigil/kms.store".into(),
            manifest_sha256: "ab".repeat(32),
            signed_by: Some("sha256:00".into()),
            root: "/".into(),
            restored: 2,
            refused: 1,
            added: 0,
            paths: vec!["restored /etc/a".into(), "refused /etc/b".into()],
        };
        let e2 = record_restore(&hist, rec.clone(), Some(&k)).unwrap();
        assert_eq!(
            (e2.seq, e2.kind, e2.prev_hash.as_str()),
            (2, Kind::Restore, e1.hash.as_str())
        );
        assert_eq!(e2.restore.as_ref(), Some(&rec));
        let r = crate::history::verify::verify(&hist, None).unwrap();
        assert!(r.ok(), "{r:?}");
        let mut edited = e2.clone();
        edited.restore.as_mut().unwrap().refused = 0;
        assert_ne!(edited.compute_hash(), e2.hash);
        // A signed history stays signed.
        assert!(matches!(
            record_restore(&hist, rec, None),
            Err(Error::Usage(_))
        ));
    }

    #[test]
    fn rejects_results_that_are_not_json() {
        let d = tempfile::tempdir().unwrap();
        assert!(matches!(
            record_scan(d.path(), b"<xml/>", None),
            Err(Error::InvalidResults(_))
        ));
        assert!(!d.path().join(LEDGER_FILE).exists());
    }

    #[test]
    fn signs_with_openssl_generated_pkcs8_key() {
        let d = tempfile::tempdir().unwrap();
        let key = openssl_key(d.path(), "k.pem");
        let hist = d.path().join("h");
        let e = record_scan(&hist, &results_doc(&[]), Some(&key)).unwrap();
        let sk = load_signing_key(&key).unwrap();
        assert_eq!(
            e.public_key.as_deref(),
            Some(hex(sk.verifying_key().as_bytes()).as_str())
        );
        assert_eq!(e.signature_valid(&sk.verifying_key()), Ok(true));
        // The public half as openssl writes it loads as the trusted key.
        let pubp = d.path().join("k.pub");
        let st = crate::testtool::tool("openssl")
            .args(["pkey", "-pubout", "-in"])
            .arg(&key)
            .arg("-out")
            .arg(&pubp)
            .status()
            .unwrap();
        assert!(st.success());
        assert_eq!(load_verifying_key(&pubp).unwrap(), sk.verifying_key());
        let other = load_signing_key(&openssl_key(d.path(), "k2.pem")).unwrap();
        assert!(e.signature_valid(&other.verifying_key()).is_err());
    }

    #[test]
    fn refuses_a_key_that_is_not_ed25519() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("ec.pem");
        let st = crate::testtool::tool("openssl")
            .args([
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-out",
            ])
            .arg(&p)
            .status()
            .unwrap();
        assert!(st.success());
        assert!(matches!(load_signing_key(&p), Err(Error::Key { .. })));
    }

    #[test]
    fn torn_last_line_is_cut_before_the_next_append() {
        let d = tempfile::tempdir().unwrap();
        let e1 = record_scan(d.path(), &results_doc(&[("a", "pass")]), None).unwrap();
        // A crash half-way through writing entry 2.
        let half = {
            let mut e = e1.clone();
            e.seq = 2;
            let l = e.to_line();
            l[..l.len() / 2].to_string()
        };
        let mut f = OpenOptions::new()
            .append(true)
            .open(d.path().join(LEDGER_FILE))
            .unwrap();
        f.write_all(half.as_bytes()).unwrap();
        let l = read_ledger(d.path()).unwrap();
        assert_eq!(l.lines.len(), 1);
        assert_eq!(l.torn_tail.as_deref(), Some(half.as_str()));
        let e2 = record_scan(d.path(), &results_doc(&[("a", "fail")]), None).unwrap();
        assert_eq!((e2.seq, e2.prev_hash.as_str()), (2, e1.hash.as_str()));
        let l = read_ledger(d.path()).unwrap();
        assert!(l.torn_tail.is_none());
        assert_eq!(l.entries(d.path()).unwrap().len(), 2);
    }

    /// Appends from several processes (this test binary re-run as children, see
    /// `child_appender`) and several threads at once: flock keeps the chain whole.
    #[test]
    fn concurrent_appends_from_threads_and_processes_keep_the_chain() {
        let d = tempfile::tempdir().unwrap();
        let exe = std::env::current_exe().unwrap();
        let children: Vec<_> = (0..3)
            .map(|i| {
                Command::new(&exe)
                    .args([
                        "--exact",
                        "history::ledger::tests::child_appender",
                        "--ignored",
                        "--test-threads=1",
                    ])
                    .env("VIGIL_TEST_APPEND_DIR", d.path())
                    .env("VIGIL_TEST_APPEND_TAG", format!("p{i}"))
                    .stdout(std::process::Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        std::thread::scope(|s| {
            for t in 0..4 {
                let dir = d.path();
                s.spawn(move || {
                    for j in 0..CHILD_APPENDS {
                        record_scan(
                            dir,
                            &results_doc(&[(&format!("t{t}"), &j.to_string())]),
                            None,
                        )
                        .unwrap();
                    }
                });
            }
        });
        for mut c in children {
            assert!(c.wait().unwrap().success());
        }
        let entries = read_ledger(d.path()).unwrap().entries(d.path()).unwrap();
        assert_eq!(entries.len(), 7 * CHILD_APPENDS);
        let seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=(7 * CHILD_APPENDS) as u64).collect::<Vec<_>>());
        let r = crate::history::verify::verify(d.path(), None).unwrap();
        assert!(r.ok() && r.warnings.is_empty(), "{r:?}");
    }

    const CHILD_APPENDS: usize = 15;

    /// Not a test on its own: the body of a child process of the concurrency test.
    #[test]
    #[ignore = "run by concurrent_appends_from_threads_and_processes_keep_the_chain"]
    fn child_appender() {
        let (Ok(dir), Ok(tag)) = (
            std::env::var("VIGIL_TEST_APPEND_DIR"),
            std::env::var("VIGIL_TEST_APPEND_TAG"),
        ) else {
            return;
        };
        for j in 0..CHILD_APPENDS {
            record_scan(
                Path::new(&dir),
                &results_doc(&[(&tag, &j.to_string())]),
                None,
            )
            .unwrap();
        }
    }

    #[test]
    fn corrupt_last_line_stops_appends() {
        let d = tempfile::tempdir().unwrap();
        record_scan(d.path(), &results_doc(&[]), None).unwrap();
        let mut f = OpenOptions::new()
            .append(true)
            .open(d.path().join(LEDGER_FILE))
            .unwrap();
        f.write_all(b"{\"seq\": \n").unwrap();
        assert!(matches!(
            record_scan(d.path(), &results_doc(&[]), None),
            Err(Error::Corrupt { line: 2, .. })
        ));
    }
}
