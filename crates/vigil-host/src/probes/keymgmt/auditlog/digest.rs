//! CloudTrail log file integrity validation, offline: the checks `aws cloudtrail
//! validate-logs` makes, over a copy of the trail's bucket (AWS CloudTrail User Guide,
//! "CloudTrail digest file structure" and "Custom implementations of CloudTrail log file
//! integrity validation").
//!
//! A digest file (`..._CloudTrail-Digest_..._YYYYMMDDTHHMMSSZ.json.gz`) lists the log
//! files delivered in its hour with the SHA-256 of each (uncompressed), and links to the
//! previous digest by its S3 key, the SHA-256 of its uncompressed content and its
//! signature. Its own signature (SHA256withRSA, hex, S3 metadata `x-amz-meta-signature`)
//! signs the string
//!
//! ```text
//! digestEndTime \n digestS3Bucket/digestS3Object \n hex(SHA-256(uncompressed digest)) \n previousDigestSignature
//! ```
//!
//! (`null` for the last part when the digest starts a chain). S3 metadata does not
//! survive a copy, so a site supplies it in a sidecar `DIGEST.sig` (the hex value, as
//! `aws s3api head-object --query Metadata.signature --output text` prints it); a
//! digest without one is verified with the signature its successor records
//! (`previousDigestSignature`), as the AWS CLI walks the chain. Keys are chosen by
//! `digestPublicKeyFingerprint`: the hex MD5 of the key's PKCS#1 DER, as CloudTrail's
//! ListPublicKeys reports it.
//!
//! This module reads and verifies; [`super::cloudtrail_digest`] and
//! [`super::cloudtrail_log_file`] turn the [`Trail`] into items.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use md5::{Digest as _, Md5};
use rsa::pkcs1::{DecodeRsaPublicKey, EncodeRsaPublicKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::{Pkcs1v15Sign, PublicKey as RsaPublicKey};
use serde_json::Value;
use sha2::Sha256;

use crate::host::Host;
use crate::policy::{AuditLog, time};
use crate::probes::keymgmt::{hex, sha256_hex};

/// Deepest directory level searched under `digest_directory` (the S3 layout has
/// `REGION/YYYY/MM/DD` below `CloudTrail-Digest`, and a bucket root adds four more).
const MAX_DEPTH: usize = 12;
/// Most directory entries looked at under one `digest_directory`.
const MAX_ENTRIES: usize = 200_000;
/// Most digest files read for one source (an hourly digest: more than 11 years).
pub(crate) const MAX_DIGESTS: usize = 100_000;
/// Largest digest file (compressed or not) and largest uncompressed digest.
const MAX_DIGEST_BYTES: u64 = 16 * 1024 * 1024;

/// One log file a digest lists.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LogRef {
    /// `s3Bucket`.
    pub(crate) bucket: String,
    /// `s3Object`: the S3 key, resolved against the bucket root of the local copy.
    pub(crate) object: String,
    /// `hashValue`: hex SHA-256 of the uncompressed log file.
    pub(crate) hash: String,
}

/// The fields of a digest file that validation uses.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DigestDoc {
    /// `digestStartTime`, as written.
    pub(crate) start_text: String,
    /// `digestEndTime`, as written (it is signed verbatim).
    pub(crate) end_text: String,
    /// `digestS3Bucket`.
    pub(crate) bucket: String,
    /// `digestS3Object`.
    pub(crate) object: String,
    /// `digestPublicKeyFingerprint`.
    pub(crate) fingerprint: Option<String>,
    /// `digestSignatureAlgorithm` (`SHA256withRSA`).
    pub(crate) algorithm: Option<String>,
    /// `previousDigestS3Bucket` and `previousDigestS3Object`; `None` at the start of a
    /// chain.
    pub(crate) previous: Option<(String, String)>,
    /// `previousDigestHashValue`.
    pub(crate) previous_hash: Option<String>,
    /// `previousDigestSignature`.
    pub(crate) previous_signature: Option<String>,
    /// `logFiles`.
    pub(crate) log_files: Vec<LogRef>,
}

fn text(v: &Value, name: &str) -> Option<String> {
    v.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(String::from)
}

/// Reads a digest file's JSON (uncompressed); an error names the missing field.
pub(crate) fn parse_digest(raw: &[u8]) -> Result<DigestDoc, String> {
    let v: Value = serde_json::from_slice(raw).map_err(|e| format!("not JSON: {e}"))?;
    let need = |name: &str| text(&v, name).ok_or_else(|| format!("no {name}"));
    let previous = match (
        text(&v, "previousDigestS3Bucket"),
        text(&v, "previousDigestS3Object"),
    ) {
        (Some(b), Some(o)) => Some((b, o)),
        _ => None,
    };
    let mut log_files = Vec::new();
    match v.get("logFiles") {
        Some(Value::Array(a)) => {
            for (i, l) in a.iter().enumerate() {
                let f =
                    |name: &str| text(l, name).ok_or_else(|| format!("logFiles[{i}]: no {name}"));
                log_files.push(LogRef {
                    bucket: f("s3Bucket")?,
                    object: f("s3Object")?,
                    hash: f("hashValue")?.to_ascii_lowercase(),
                });
            }
        }
        Some(Value::Null) | None => {}
        Some(_) => return Err("logFiles is not a list".into()),
    }
    Ok(DigestDoc {
        start_text: need("digestStartTime")?,
        end_text: need("digestEndTime")?,
        bucket: need("digestS3Bucket")?,
        object: need("digestS3Object")?,
        fingerprint: text(&v, "digestPublicKeyFingerprint").map(|f| f.to_ascii_lowercase()),
        algorithm: text(&v, "digestSignatureAlgorithm"),
        previous,
        previous_hash: text(&v, "previousDigestHashValue").map(|h| h.to_ascii_lowercase()),
        previous_signature: text(&v, "previousDigestSignature").map(|s| s.to_ascii_lowercase()),
        log_files,
    })
}

/// The string CloudTrail signs for a digest whose uncompressed content is `raw`.
pub(crate) fn signing_string(doc: &DigestDoc, raw: &[u8]) -> String {
    format!(
        "{}\n{}/{}\n{}\n{}",
        doc.end_text,
        doc.bucket,
        doc.object,
        sha256_hex(raw),
        doc.previous_signature.as_deref().unwrap_or("null")
    )
}

/// `data`, gunzipped when it is gzip (magic `1f 8b`), else as it is; at most `max`
/// bytes out (a decompression bomb is an error, never allocated).
pub(crate) fn inflate(data: Vec<u8>, max: u64) -> Result<Vec<u8>, String> {
    if !data.starts_with(&[0x1f, 0x8b]) {
        return Ok(data);
    }
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(data.as_slice())
        .take(max + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("not valid gzip: {e}"))?;
    if out.len() as u64 > max {
        return Err(format!("uncompresses to more than {max} bytes, not read"));
    }
    Ok(out)
}

/// A supplied RSA public key.
#[derive(Debug, Clone)]
pub(crate) struct PublicKey {
    /// The key file (host path).
    pub(crate) path: String,
    /// Hex MD5 of its PKCS#1 DER: CloudTrail's `digestPublicKeyFingerprint`.
    pub(crate) fingerprint: String,
    key: RsaPublicKey,
}

/// An RSA public key from PEM (`RSA PUBLIC KEY`, `PUBLIC KEY`) or DER (PKCS#1 as
/// ListPublicKeys returns it, or SubjectPublicKeyInfo).
pub(crate) fn read_public_key(path: &str, data: &[u8]) -> Result<PublicKey, String> {
    let ders: Vec<Vec<u8>> = if data.starts_with(b"-----") || data.windows(5).any(|w| w == b"-----")
    {
        x509_parser::pem::Pem::iter_from_buffer(data)
            .filter_map(Result::ok)
            .filter(|p| p.label == "RSA PUBLIC KEY" || p.label == "PUBLIC KEY")
            .map(|p| p.contents)
            .collect()
    } else {
        vec![data.to_vec()]
    };
    let key = ders
        .iter()
        .find_map(|d| {
            RsaPublicKey::from_pkcs1_der(d)
                .ok()
                .or_else(|| RsaPublicKey::from_public_key_der(d).ok())
        })
        .ok_or_else(|| {
            format!("{path}: not an RSA public key (PEM or DER, PKCS#1 or SubjectPublicKeyInfo)")
        })?;
    let pkcs1 = key
        .to_pkcs1_der()
        .map_err(|e| format!("{path}: cannot encode the key: {e}"))?;
    Ok(PublicKey {
        path: path.to_string(),
        fingerprint: hex(&Md5::digest(pkcs1.as_bytes())),
        key,
    })
}

/// Whether `signature_hex` is `key`'s SHA256withRSA (PKCS#1 v1.5) signature of `msg`.
pub(crate) fn verify(key: &PublicKey, msg: &[u8], signature_hex: &str) -> Result<bool, String> {
    let sig = unhex(signature_hex).ok_or("the signature is not hexadecimal")?;
    let hashed = Sha256::digest(msg);
    Ok(key
        .key
        .verify(Pkcs1v15Sign::new::<Sha256>(), &hashed, &sig)
        .is_ok())
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    if !s.len().is_multiple_of(2) || s.is_empty() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// One digest file read from the host.
#[derive(Debug)]
pub(crate) struct DigestFile {
    /// Its path on the host.
    pub(crate) path: String,
    /// Its uncompressed content.
    pub(crate) raw: Vec<u8>,
    /// Its fields, or why it cannot be read as a digest.
    pub(crate) doc: Result<DigestDoc, String>,
    /// The sidecar signature (`PATH.sig`), when there is one; an unreadable sidecar is
    /// an `Err`.
    pub(crate) sidecar: Option<Result<String, String>>,
}

impl DigestFile {
    /// The bucket root of the local copy: the file's path less its S3 key, when the
    /// file lies at its key (`aws s3 sync` layout); `None` otherwise.
    pub(crate) fn bucket_root(&self) -> Option<PathBuf> {
        let doc = self.doc.as_ref().ok()?;
        let key = doc.object.trim_start_matches('/');
        let root = self.path.strip_suffix(key)?;
        root.ends_with('/').then(|| PathBuf::from(root))
    }
}

/// Every digest file under a source's `digest_directory` (and what went wrong reading
/// the directory), sorted by path.
pub(crate) fn read_digests(
    host: &Host,
    dir: &str,
    max_file_size: u64,
) -> Result<(Vec<DigestFile>, Vec<String>), String> {
    let Some(top) = host
        .resolve(Path::new(dir))
        .map_err(|e| format!("{dir}: {e}"))?
    else {
        return Err(format!("{dir}: digest_directory does not exist"));
    };
    if !top.meta.is_dir() {
        return Err(format!("{dir}: digest_directory is not a directory"));
    }
    let mut problems = Vec::new();
    let mut found = Vec::new();
    let mut stack = vec![(top.host_path.clone(), top.real.clone(), 0usize)];
    let mut seen = 0usize;
    while let Some((hp, real, depth)) = stack.pop() {
        let names = match host.list_dir(&real) {
            Ok(n) => n,
            Err(e) => {
                problems.push(format!("{}: {e}", hp.display()));
                continue;
            }
        };
        for name in names {
            seen += 1;
            if seen > MAX_ENTRIES {
                problems.push(format!(
                    "{dir}: more than {MAX_ENTRIES} entries, the rest not read"
                ));
                stack.clear();
                break;
            }
            let (chp, creal) = (hp.join(&name), real.join(&name));
            // Never followed: a link could lead the walk out of the copy or round it.
            let Ok(meta) = host.lstat(&creal) else {
                continue;
            };
            let n = name.to_string_lossy();
            if meta.is_dir() && depth < MAX_DEPTH {
                stack.push((chp, creal, depth + 1));
            } else if meta.is_file() && is_digest_name(&n) {
                found.push((chp, creal, meta));
            }
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    if found.len() > MAX_DIGESTS {
        problems.push(format!(
            "{dir}: more than {MAX_DIGESTS} digest files, only the first {MAX_DIGESTS} read"
        ));
        found.truncate(MAX_DIGESTS);
    }
    let max = max_file_size.min(MAX_DIGEST_BYTES);
    let mut out = Vec::new();
    for (hp, real, meta) in found {
        let path = hp.to_string_lossy().into_owned();
        let f = host.file(hp.clone(), real, meta);
        let (raw, doc) = match f
            .read(max)
            .map_err(|e| e.to_string())
            .and_then(|d| inflate(d, max).map_err(|e| format!("{path}: {e}")))
        {
            Ok(raw) => {
                let doc = parse_digest(&raw).map_err(|e| format!("{path}: {e}"));
                (raw, doc)
            }
            Err(e) => (Vec::new(), Err(e)),
        };
        let sig_path = format!("{path}.sig");
        let sidecar = match host.read_file(Path::new(&sig_path), 64 * 1024) {
            Ok(None) => None,
            Ok(Some(d)) => Some(Ok(String::from_utf8_lossy(&d)
                .trim()
                .trim_matches('"')
                .to_ascii_lowercase())),
            Err(e) => Some(Err(format!("{sig_path}: {e}"))),
        };
        out.push(DigestFile {
            path,
            raw,
            doc,
            sidecar,
        });
    }
    Ok((out, problems))
}

/// A CloudTrail digest file name (`..._CloudTrail-Digest_...json` or `.json.gz`).
fn is_digest_name(n: &str) -> bool {
    n.contains("CloudTrail-Digest") && (n.ends_with(".json.gz") || n.ends_with(".json"))
}

/// A backfill digest (`..._backfill.json.gz`): delivered late for log files an hourly
/// digest missed, outside the chain.
pub(crate) fn is_backfill(path: &str) -> bool {
    path.contains("_backfill.json")
}

/// The chain a digest belongs to: its file name less the end timestamp
/// (`ACCOUNT_CloudTrail-Digest_REGION_TRAIL_REGION`), with its directory's
/// `CloudTrail-Digest/REGION` part; digests of other trails, regions or accounts form
/// other chains.
fn chain_key(object: &str) -> String {
    let name = object.rsplit('/').next().unwrap_or(object);
    let stem = name.split(".json").next().unwrap_or(name);
    match stem.rsplit_once('_') {
        Some((s, ts)) if ts.len() == 16 && ts.ends_with('Z') => s.to_string(),
        _ => stem.to_string(),
    }
}

/// How a digest links to the one before it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Link {
    /// The previous digest is here, its hash and signature are the ones recorded.
    Ok,
    /// The first digest of its chain (`previousDigestSignature` null), with no earlier
    /// digest of the chain here.
    Start,
    /// The oldest digest here links to one older than the directory keeps.
    BeforeKept,
    /// The previous digest it names is not here (deleted).
    Missing(String),
    /// The previous digest is here but differs from what this one records.
    Broken(String),
    /// A new chain started after earlier digests (validation or logging was off).
    Restarted(String),
    /// A backfill digest, outside the chain.
    Backfill,
}

impl Link {
    /// The `chain_link` item value.
    pub(crate) fn as_str(&self) -> &'static str {
        match self {
            Link::Ok => "ok",
            Link::Start => "start",
            Link::BeforeKept => "before_kept",
            Link::Missing(_) => "missing",
            Link::Broken(_) => "broken",
            Link::Restarted(_) => "restarted",
            Link::Backfill => "backfill",
        }
    }

    /// Whether the link is whole.
    pub(crate) fn intact(&self) -> bool {
        matches!(
            self,
            Link::Ok | Link::Start | Link::BeforeKept | Link::Backfill
        )
    }
}

/// The outcome of a digest's signature check.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Signature {
    /// Verified with this key file and fingerprint.
    Verified { key: String, fingerprint: String },
    /// Checked and wrong, with the reason.
    Failed(String),
    /// Not checkable, with the reason.
    Unknown(String),
}

/// One digest, judged.
#[derive(Debug)]
pub(crate) struct DigestReport {
    /// The file read.
    pub(crate) file: DigestFile,
    /// Its link to the previous digest.
    pub(crate) link: Link,
    /// Seconds between the previous digest's end and this one's start, when positive.
    pub(crate) gap: Option<(i64, String)>,
    /// Its signature.
    pub(crate) signature: Signature,
    /// Where the signature checked came from: `sidecar` or `next_digest`.
    pub(crate) signature_source: Option<&'static str>,
    /// The file does not lie at its own S3 key under any bucket root.
    pub(crate) misplaced: bool,
}

/// One source's digests, judged in chain order (per chain, oldest first).
#[derive(Debug, Default)]
pub(crate) struct Trail {
    /// Each digest.
    pub(crate) digests: Vec<DigestReport>,
    /// Problems reading the directory (not about one digest).
    pub(crate) problems: Vec<String>,
}

/// Reads and judges the digests of `src` (which has a `digest_directory`).
pub(crate) fn trail(host: &Host, src: &AuditLog, max_file_size: u64) -> Result<Trail, String> {
    let dir = src
        .digest_directory
        .as_deref()
        .ok_or("no digest_directory")?;
    let (files, mut problems) = read_digests(host, dir, max_file_size)?;
    let mut keys = Vec::new();
    let mut key_errors = Vec::new();
    for k in &src.digest_public_keys {
        match host.read_file(Path::new(k), 1024 * 1024) {
            Ok(Some(d)) => match read_public_key(k, &d) {
                Ok(pk) => keys.push(pk),
                Err(e) => key_errors.push(e),
            },
            Ok(None) => key_errors.push(format!("{k}: public key file does not exist")),
            Err(e) => key_errors.push(format!("{k}: {e}")),
        }
    }
    problems.extend(key_errors.iter().cloned());
    Ok(judge(files, &keys, &key_errors, problems))
}

/// The chain checks over digests already read (separate from the host for the unit
/// tests).
pub(crate) fn judge(
    files: Vec<DigestFile>,
    keys: &[PublicKey],
    key_errors: &[String],
    problems: Vec<String>,
) -> Trail {
    // Chains: digests of one trail, region and account, by end time.
    let mut chains: BTreeMap<String, Vec<(i64, DigestFile)>> = BTreeMap::new();
    let mut unreadable = Vec::new();
    for f in files {
        match &f.doc {
            Ok(d) => {
                let end = time::parse_rfc3339(&d.end_text).unwrap_or(i64::MIN);
                chains
                    .entry(chain_key(&d.object))
                    .or_default()
                    .push((end, f));
            }
            Err(_) => unreadable.push(f),
        }
    }
    let mut out = Vec::new();
    for (_, mut chain) in chains {
        chain.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.path.cmp(&b.1.path)));
        let files: Vec<DigestFile> = chain.into_iter().map(|(_, f)| f).collect();
        // The hourly digests of the chain (backfills stand apart), in time order.
        let hourly: Vec<usize> = (0..files.len())
            .filter(|&i| !is_backfill(&files[i].path))
            .collect();
        let by_object: BTreeMap<&str, usize> = files
            .iter()
            .enumerate()
            .filter_map(|(i, f)| f.doc.as_ref().ok().map(|d| (d.object.as_str(), i)))
            .collect();
        // The signature each digest's successor records for it.
        let mut recorded: BTreeMap<usize, String> = BTreeMap::new();
        for f in &files {
            let d = f.doc.as_ref().expect("readable");
            if let (Some((_, o)), Some(s)) = (&d.previous, &d.previous_signature)
                && let Some(&i) = by_object.get(o.as_str())
            {
                recorded.insert(i, s.clone());
            }
        }
        let mut reports: Vec<DigestReport> = Vec::new();
        for (i, f) in files.iter().enumerate() {
            let d = f.doc.as_ref().expect("readable");
            let pos = hourly.iter().position(|&h| h == i);
            let before = pos.and_then(|p| p.checked_sub(1)).map(|p| hourly[p]);
            let link = if pos.is_none() {
                Link::Backfill
            } else {
                link(d, &files, &by_object, before)
            };
            let gap = before.and_then(|b| {
                let prev = files[b].doc.as_ref().ok()?;
                let end = time::parse_rfc3339(&prev.end_text)?;
                let start = time::parse_rfc3339(&d.start_text)?;
                (start > end).then(|| (start - end, files[b].path.clone()))
            });
            let (signature, source) = signature(f, d, recorded.get(&i), keys, key_errors);
            reports.push(DigestReport {
                misplaced: f.bucket_root().is_none(),
                file: DigestFile {
                    path: f.path.clone(),
                    raw: Vec::new(),
                    doc: f.doc.clone(),
                    sidecar: f.sidecar.clone(),
                },
                link,
                gap,
                signature,
                signature_source: source,
            });
        }
        out.extend(reports);
    }
    for f in unreadable {
        let e = f.doc.as_ref().err().cloned().unwrap_or_default();
        out.push(DigestReport {
            link: Link::Broken(e.clone()),
            gap: None,
            signature: Signature::Unknown(e),
            signature_source: None,
            misplaced: true,
            file: f,
        });
    }
    Trail {
        digests: out,
        problems,
    }
}

/// How digest `d` links to the previous one (`before`: the previous hourly digest of
/// its chain here, if any).
fn link(
    d: &DigestDoc,
    files: &[DigestFile],
    by_object: &BTreeMap<&str, usize>,
    before: Option<usize>,
) -> Link {
    let Some((_, prev_object)) = &d.previous else {
        return match before {
            None => Link::Start,
            Some(b) => Link::Restarted(format!(
                "starts a new chain (no previous digest) after {}: log file validation or logging was off in between",
                files[b].path
            )),
        };
    };
    let Some(&p) = by_object.get(prev_object.as_str()) else {
        return match before {
            None => Link::BeforeKept,
            Some(_) => Link::Missing(format!(
                "the previous digest {prev_object} it names is not in the directory"
            )),
        };
    };
    let prev = &files[p];
    let mut wrong = Vec::new();
    let hash = sha256_hex(&prev.raw);
    if d.previous_hash.as_deref() != Some(hash.as_str()) {
        wrong.push(format!(
            "previousDigestHashValue {} but {} has SHA-256 {hash}",
            d.previous_hash.as_deref().unwrap_or("(none)"),
            prev.path
        ));
    }
    if let Some(Ok(s)) = &prev.sidecar
        && d.previous_signature.as_deref() != Some(s.as_str())
    {
        wrong.push(format!(
            "previousDigestSignature differs from {}.sig",
            prev.path
        ));
    }
    if Some(p) != before
        && let Some(b) = before
    {
        wrong.push(format!(
            "names {} as its previous digest, but {} came between",
            prev.path, files[b].path
        ));
    }
    if wrong.is_empty() {
        Link::Ok
    } else {
        Link::Broken(wrong.join("; "))
    }
}

/// The signature check of one digest: the sidecar's signature, else the one its
/// successor records.
fn signature(
    f: &DigestFile,
    d: &DigestDoc,
    recorded: Option<&String>,
    keys: &[PublicKey],
    key_errors: &[String],
) -> (Signature, Option<&'static str>) {
    let (sig, source) = match (&f.sidecar, recorded) {
        (Some(Err(e)), _) => return (Signature::Unknown(e.clone()), None),
        (Some(Ok(s)), _) => (s.clone(), "sidecar"),
        (None, Some(s)) => (s.clone(), "next_digest"),
        (None, None) => {
            return (
                // The reason first: explanations clip long messages, and paths are long.
                Signature::Unknown(format!(
                    "no signature: no .sig sidecar beside it and no later digest records it: {}",
                    f.path
                )),
                None,
            );
        }
    };
    if let Some(a) = &d.algorithm
        && a != "SHA256withRSA"
    {
        return (
            Signature::Unknown(format!(
                "digestSignatureAlgorithm {a} is not SHA256withRSA: {}",
                f.path
            )),
            Some(source),
        );
    }
    if keys.is_empty() {
        let why = if key_errors.is_empty() {
            "the policy gives no digest_public_keys".to_string()
        } else {
            format!("no usable digest_public_keys ({})", key_errors.join("; "))
        };
        return (
            Signature::Unknown(format!("not verified: {why}: {}", f.path)),
            Some(source),
        );
    }
    let candidates: Vec<&PublicKey> = match &d.fingerprint {
        Some(fp) => keys.iter().filter(|k| &k.fingerprint == fp).collect(),
        None => keys.iter().collect(),
    };
    if candidates.is_empty() {
        let have: Vec<String> = keys
            .iter()
            .map(|k| format!("{} ({})", k.fingerprint, k.path))
            .collect();
        return (
            Signature::Failed(format!(
                "{}: signed with key {}, which is none of digest_public_keys: {}",
                f.path,
                d.fingerprint.as_deref().unwrap_or(""),
                have.join(", ")
            )),
            Some(source),
        );
    }
    let msg = signing_string(d, &f.raw);
    for k in &candidates {
        match verify(k, msg.as_bytes(), &sig) {
            Ok(true) => {
                return (
                    Signature::Verified {
                        key: k.path.clone(),
                        fingerprint: k.fingerprint.clone(),
                    },
                    Some(source),
                );
            }
            Ok(false) => {}
            Err(e) => {
                return (
                    Signature::Failed(format!("{}: {source} signature: {e}", f.path)),
                    Some(source),
                );
            }
        }
    }
    let names: Vec<&str> = candidates.iter().map(|k| k.path.as_str()).collect();
    (
        Signature::Failed(format!(
            "{}: the {source} signature does not verify with {} (the digest or its signature was changed)",
            f.path,
            names.join(", ")
        )),
        Some(source),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A public key as `aws cloudtrail list-public-keys` prints it (the AWS CLI's
    /// documented example), and its fingerprint there.
    const LISTED_VALUE: &str = "MIIBCgKCAQEAlSS3cl92HDycr/MTj0moOhas8habjrraXw+KzlWF0axSI2tcF+3iJ9BKQAVSKxGwxwu3m0wG3J+kUl1xboEcEPHYoIYMbgfSw7KGnuDKwkLzsQWhUJ0cIbOHASox1vv/5fNXkrHhGbDCHeVXm804c83nvHUEFYThr1PfyP/8HwrCtR3FX5OANtQCP61C1nJtSSkC8JSQUOrIP4CuwJjc+4WGDk+BGH5m9iuiAKkipEHWmUl8/P7XpfpWQuk4h8g3pXZOrNXr08lbh4d39svj7UqdhvOXoBISp9t/EXYuePGEtBdrKD9Dz+VHwyUPtBQvYr9BnkF88qBnaPNhS44rzwIDAQAB";

    fn b64(s: &str) -> Vec<u8> {
        let pem = format!("-----BEGIN RSA PUBLIC KEY-----\n{s}\n-----END RSA PUBLIC KEY-----\n");
        x509_parser::pem::Pem::iter_from_buffer(pem.as_bytes())
            .next()
            .unwrap()
            .unwrap()
            .contents
    }

    #[test]
    fn the_fingerprint_is_cloudtrails() {
        let der = b64(LISTED_VALUE);
        let k = read_public_key("/k.der", &der).unwrap();
        assert_eq!(k.fingerprint, "7f3f401420072e50a65a141430817ab3");
        let pem = format!(
            "-----BEGIN RSA PUBLIC KEY-----\n{LISTED_VALUE}\n-----END RSA PUBLIC KEY-----\n"
        );
        assert_eq!(
            read_public_key("/k.pem", pem.as_bytes())
                .unwrap()
                .fingerprint,
            k.fingerprint
        );
        let e = read_public_key("/x.pem", b"not a key").unwrap_err();
        assert!(e.starts_with("/x.pem: not an RSA public key"), "{e}");
    }

    const DIGEST: &str = r#"{"awsAccountId":"111122223333","digestStartTime":"2015-08-17T14:01:31Z","digestEndTime":"2015-08-17T15:01:31Z","digestS3Bucket":"bkt","digestS3Object":"AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_t_us-east-2_20150817T150131Z.json.gz","digestPublicKeyFingerprint":"31E8B5433410DFB61A9DC45CC65B22FF","digestSignatureAlgorithm":"SHA256withRSA","previousDigestS3Bucket":"bkt","previousDigestS3Object":"AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_t_us-east-2_20150817T140131Z.json.gz","previousDigestHashValue":"97fb","previousDigestHashAlgorithm":"SHA-256","previousDigestSignature":"5067","logFiles":[{"s3Bucket":"bkt","s3Object":"AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/17/x.json.gz","hashValue":"9BB6","hashAlgorithm":"SHA-256"}]}"#;

    #[test]
    fn digest_fields_and_signing_string() {
        let d = parse_digest(DIGEST.as_bytes()).unwrap();
        assert_eq!(
            d.fingerprint.as_deref(),
            Some("31e8b5433410dfb61a9dc45cc65b22ff")
        );
        assert_eq!(d.log_files.len(), 1);
        assert_eq!(d.log_files[0].hash, "9bb6");
        assert_eq!(
            chain_key(&d.object),
            "111122223333_CloudTrail-Digest_us-east-2_t_us-east-2"
        );
        let s = signing_string(&d, DIGEST.as_bytes());
        let lines: Vec<&str> = s.split('\n').collect();
        assert_eq!(lines[0], "2015-08-17T15:01:31Z");
        assert!(lines[1].starts_with("bkt/AWSLogs/111122223333/CloudTrail-Digest/"));
        assert_eq!(lines[2], sha256_hex(DIGEST.as_bytes()));
        assert_eq!(lines[3], "5067");
        // The first digest of a chain signs "null".
        let first = DIGEST.replace(r#""previousDigestSignature":"5067","#, "");
        let d = parse_digest(first.as_bytes()).unwrap();
        assert!(signing_string(&d, b"").ends_with("\nnull"));
        let e = parse_digest(br#"{"digestStartTime":"x"}"#).unwrap_err();
        assert_eq!(e, "no digestEndTime");
        let e = parse_digest(br#"{"digestStartTime":"a","digestEndTime":"b","digestS3Bucket":"c","digestS3Object":"d","logFiles":[{"s3Bucket":"b"}]}"#).unwrap_err();
        assert_eq!(e, "logFiles[0]: no s3Object");
    }

    #[test]
    fn gzip_is_inflated_within_the_cap() {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&vec![b'a'; 100_000]).unwrap();
        let gz = enc.finish().unwrap();
        assert_eq!(inflate(gz.clone(), 100_000).unwrap().len(), 100_000);
        let e = inflate(gz, 99_999).unwrap_err();
        assert!(e.contains("more than 99999 bytes"), "{e}");
        assert_eq!(inflate(b"{}".to_vec(), 1).unwrap(), b"{}");
    }
}
