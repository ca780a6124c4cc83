//! `vigil history verify`: walks the hash chain and reports every entry that was edited,
//! removed, reordered or inserted, every results file that changed, and signatures that
//! do not verify (against a trusted key when one is given).
//!
//! What a hash chain alone proves: any change to an entry, or to the results it points
//! to, is detected unless the attacker rewrites every later entry and `HEAD` too (the
//! format is public: anyone can recompute the hashes). With `--public-key`, every entry
//! and the `HEAD` checkpoint must carry a valid signature by that key, which an attacker
//! without the private key cannot forge: removing the newest entries then needs a
//! signed checkpoint naming an earlier entry, which only an old `HEAD` could be. An old
//! checkpoint, or a whole other chain signed by the same key, is caught against an
//! outside anchor: the head (`SEQ:HASH`) every scan summary and `--events` record
//! carries, checked with `--expect-head` or `--min-seq`.

use std::collections::HashSet;
use std::path::Path;

use ed25519_dalek::VerifyingKey;

use super::dir::HistoryDir;
use super::error::Result;
use super::ledger::{
    Entry, GENESIS, Head, Kind, RESULTS_DIR, read_head_in, read_ledger_in, results_name,
};
use vigil_core::osutil::sha256_hex;

/// One problem or warning, located by ledger line and entry seq where known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    pub line: Option<usize>,
    pub seq: Option<u64>,
    pub message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.seq, self.line) {
            (Some(s), Some(l)) => write!(f, "entry {s} (line {l}): {}", self.message),
            (None, Some(l)) => write!(f, "line {l}: {}", self.message),
            (Some(s), None) => write!(f, "entry {s}: {}", self.message),
            (None, None) => write!(f, "{}", self.message),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Report {
    pub entries: usize,
    pub signed: usize,
    pub problems: Vec<Finding>,
    pub warnings: Vec<Finding>,
    /// The chain identity the entries carry (the first one seen).
    pub chain: Option<String>,
    /// Entries without a chain identity (written before vigil recorded one).
    pub unidentified: usize,
    /// The last entry: `(seq, hash)`, what `--expect-head` is given later.
    pub head: Option<(u64, String)>,
    /// What `HEAD` is: a signed or unsigned checkpoint, or the old `SEQ HASH` line.
    pub checkpoint: Option<CheckpointKind>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CheckpointKind {
    Legacy,
    Unsigned,
    Signed,
}

/// What to check beyond the chain itself.
#[derive(Debug, Clone, Default)]
pub(crate) struct Options {
    /// Every entry and the checkpoint must be signed by this key.
    pub trusted: Option<VerifyingKey>,
    /// `--expect-head SEQ:HASH`: the chain must contain this entry (what a SIEM or an
    /// operator last saw).
    pub expect_head: Option<(u64, String)>,
    /// `--min-seq N`: the chain must reach entry N.
    pub min_seq: Option<u64>,
}

/// Parses `SEQ:HASH` (the head a scan summary or event shows).
pub(crate) fn parse_head(s: &str) -> std::result::Result<(u64, String), String> {
    let (seq, hash) = s
        .split_once(':')
        .ok_or_else(|| format!("{s:?}: expected SEQ:HASH, as a scan summary prints it"))?;
    let seq = seq
        .parse()
        .map_err(|_| format!("{seq:?}: the sequence number is not a number"))?;
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("{hash:?}: the hash is not 64 hex digits"));
    }
    Ok((seq, hash.to_ascii_lowercase()))
}

impl Report {
    pub(crate) fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

fn at(line: usize, seq: Option<u64>, message: impl Into<String>) -> Finding {
    Finding {
        line: Some(line),
        seq,
        message: message.into(),
    }
}

/// Verifies the history in `dir`. With `trusted`, every entry must be signed by it.
#[cfg(test)]
pub(crate) fn verify(dir: &Path, trusted: Option<&VerifyingKey>) -> Result<Report> {
    verify_with(
        dir,
        &Options {
            trusted: trusted.copied(),
            ..Options::default()
        },
    )
}

/// Verifies the history in `dir` with the checks of `opts`.
pub(crate) fn verify_with(dir: &Path, opts: &Options) -> Result<Report> {
    let trusted = opts.trusted.as_ref();
    let h = HistoryDir::open(dir, false)?;
    let ledger = read_ledger_in(&h)?;
    let mut r = Report::default();
    let parsed: Vec<&Entry> = ledger
        .lines
        .iter()
        .filter_map(|l| l.entry.as_ref().ok())
        .collect();
    let mut prev: Option<(usize, &Entry)> = None;
    let mut seen_signed = false;
    let mut referenced = HashSet::new();
    for (i, line) in ledger.lines.iter().enumerate() {
        let n = line.number;
        let e = match &line.entry {
            Ok(e) => e,
            Err(m) => {
                r.problems.push(at(
                    n,
                    None,
                    format!("not a valid ledger entry ({m}): edited"),
                ));
                prev = None;
                continue;
            }
        };
        r.entries += 1;
        let s = Some(e.seq);
        match (&e.chain, &r.chain) {
            (None, None) => r.unidentified += 1,
            (Some(c), None) => r.chain = Some(c.clone()),
            (Some(c), Some(first)) if c != first => r.problems.push(at(
                n,
                s,
                format!(
                    "carries chain identity {c}, the entries before it {first}: entries of \
                     another chain (another host's history?) were put in"
                ),
            )),
            (Some(_), Some(_)) => {}
            (None, Some(first)) => r.problems.push(at(
                n,
                s,
                format!(
                    "carries no chain identity, the entries before it {first}: an entry \
                     from elsewhere was put in"
                ),
            )),
        }
        if e.compute_hash() != e.hash {
            r.problems.push(at(
                n,
                s,
                "content does not match its hash: the entry was edited",
            ));
        } else if e.to_line() != line.text {
            r.problems.push(at(
                n,
                s,
                "line is not as vigil wrote it: the entry was edited",
            ));
        }
        match prev {
            _ if i == 0 => {
                if e.seq == 1 {
                    if e.prev_hash != GENESIS {
                        r.problems.push(at(
                            n,
                            s,
                            "first entry does not start the chain: entries before it were removed",
                        ));
                    }
                } else {
                    let anchored = parsed.iter().any(|p| {
                        p.prune.as_ref().is_some_and(|pr| {
                            pr.removed_through_seq == Some(e.seq - 1)
                                && pr.removed_last_hash.as_deref() == Some(e.prev_hash.as_str())
                        })
                    });
                    if !anchored {
                        r.problems.push(at(
                            n,
                            s,
                            format!(
                                "entries 1..{} are missing and no prune entry records their removal",
                                e.seq - 1
                            ),
                        ));
                    }
                }
            }
            // The previous line was unreadable: already reported.
            None => {}
            Some((pn, p)) => {
                if e.prev_hash != p.hash || e.seq != p.seq + 1 {
                    r.problems.push(at(
                        n,
                        s,
                        format!(
                            "does not follow entry {} (line {pn}) in the chain: an entry was \
                             removed, inserted or reordered here{}",
                            p.seq,
                            if e.seq != p.seq + 1 {
                                format!(" (expected seq {})", p.seq + 1)
                            } else {
                                String::new()
                            }
                        ),
                    ));
                }
                if let (Ok(a), Ok(b)) = (
                    chrono::DateTime::parse_from_rfc3339(&p.time),
                    chrono::DateTime::parse_from_rfc3339(&e.time),
                ) && b < a
                {
                    r.warnings
                        .push(at(n, s, "time is earlier than the previous entry's"));
                }
            }
        }
        match e.kind {
            Kind::Scan => match &e.results_sha256 {
                None => r
                    .problems
                    .push(at(n, s, "scan entry without results_sha256")),
                Some(sha) => {
                    referenced.insert(results_name(sha));
                    match h.read_result(&results_name(sha)) {
                        Ok(Some(b)) if sha256_hex(&b) == *sha => {}
                        Ok(None) => r.problems.push(at(
                            n,
                            s,
                            format!(
                                "results file {RESULTS_DIR}/{sha}.json: No such file or \
                                 directory (os error 2)"
                            ),
                        )),
                        Ok(Some(_)) => r.problems.push(at(
                            n,
                            s,
                            format!(
                                "results file {RESULTS_DIR}/{sha}.json does not match its \
                                 SHA-256: the results were edited"
                            ),
                        )),
                        Err(err) => r.problems.push(at(
                            n,
                            s,
                            format!("results file {RESULTS_DIR}/{sha}.json: {err}"),
                        )),
                    }
                }
            },
            Kind::Prune if e.prune.is_none() => {
                r.problems.push(at(n, s, "prune entry without its record"))
            }
            Kind::Prune => {}
            Kind::Restore if e.restore.is_none() => {
                r.problems
                    .push(at(n, s, "restore entry without its record"))
            }
            Kind::Restore => {}
        }
        check_signature(&mut r, n, e, trusted, &mut seen_signed);
        prev = Some((n, e));
    }
    if let Some(t) = &ledger.torn_tail {
        r.warnings.push(at(
            ledger.lines.len() + 1,
            None,
            format!(
                "unterminated last line ({} bytes) ignored: an append was interrupted; \
                 the next append removes it",
                t.len()
            ),
        ));
    }
    let entries: Vec<&Entry> = parsed;
    r.head = entries.last().map(|e| (e.seq, e.hash.clone()));
    check_head(&h, &entries, trusted, &mut r);
    check_anchor(&entries, opts, &mut r);
    if trusted.is_some() && r.unidentified > 0 && r.chain.is_none() {
        r.warnings.push(Finding {
            line: None,
            seq: None,
            message: "the entries carry no chain identity (written before vigil recorded \
                      one): nothing here says which host's chain this is"
                .into(),
        });
    }
    {
        for name in h.result_names() {
            if !name.starts_with(crate::outfile::TEMP_PREFIX) && !referenced.contains(&name) {
                let f = Finding {
                    line: None,
                    seq: None,
                    message: format!("{RESULTS_DIR}/{name} is not referenced by any entry"),
                };
                // Results without any ledger at all: the ledger itself was removed.
                if ledger.lines.is_empty() {
                    r.problems.push(f);
                } else {
                    r.warnings.push(f);
                }
            }
        }
    }
    Ok(r)
}

fn check_signature(
    r: &mut Report,
    n: usize,
    e: &Entry,
    trusted: Option<&VerifyingKey>,
    seen_signed: &mut bool,
) {
    let s = Some(e.seq);
    let embedded = match e.embedded_key() {
        Ok(k) => k,
        Err(m) => {
            r.problems.push(at(n, s, m));
            return;
        }
    };
    if e.signature.is_none() {
        if trusted.is_some() {
            r.problems.push(at(n, s, "not signed"));
        } else if *seen_signed {
            r.warnings
                .push(at(n, s, "not signed, although earlier entries are"));
        }
        return;
    }
    *seen_signed = true;
    let key = match (trusted, embedded) {
        (Some(t), Some(k)) if t != &k => {
            r.problems
                .push(at(n, s, "signed by a different key than the trusted one"));
            return;
        }
        (Some(t), _) => *t,
        (None, Some(k)) => k,
        (None, None) => {
            r.problems.push(at(n, s, "signature without public_key"));
            return;
        }
    };
    match e.signature_valid(&key) {
        Ok(_) => r.signed += 1,
        Err(m) => r.problems.push(at(n, s, m)),
    }
}

fn finding(message: String) -> Finding {
    Finding {
        line: None,
        seq: None,
        message,
    }
}

fn short(h: &str) -> &str {
    &h[..h.len().min(12)]
}

/// `HEAD` against the last entry: the same entry, of the same chain, signed when it must
/// be.
fn check_head(h: &HistoryDir, entries: &[&Entry], trusted: Option<&VerifyingKey>, r: &mut Report) {
    let head = match read_head_in(h) {
        Ok(h) => h,
        Err(e) => {
            r.problems.push(finding(format!("HEAD: {e}")));
            return;
        }
    };
    let last = entries.last().copied();
    let head = match (head, last) {
        (None, None) => return,
        (None, Some(_)) if trusted.is_some() => {
            r.problems.push(finding(
                "HEAD is missing: with --public-key the signed checkpoint of the last \
                 entry is required (it was removed, or the last append was interrupted \
                 before writing it; the next signed append writes it)"
                    .into(),
            ));
            return;
        }
        (None, Some(l)) if entries.len() == 1 => {
            r.warnings.push(finding(format!(
                "HEAD is missing; entry {} was written but HEAD not yet updated \
                 (interrupted append)",
                l.seq
            )));
            return;
        }
        (None, Some(_)) => {
            r.problems
                .push(finding("HEAD is missing: it was removed".into()));
            return;
        }
        (Some(hd), None) => {
            r.problems.push(finding(format!(
                "HEAD names entry {} but the ledger has no entries: entries were removed",
                hd.seq()
            )));
            return;
        }
        (Some(hd), Some(_)) => hd,
    };
    let last = last.expect("matched above");
    // Which chain the checkpoint is of, and whether its signature holds.
    match &head {
        Head::Legacy { .. } => {
            r.checkpoint = Some(super::verify::CheckpointKind::Legacy);
            if trusted.is_some() {
                r.problems.push(finding(
                    "HEAD is an unsigned `SEQ HASH` line (written before vigil signed its \
                     checkpoints): it cannot show that no entries were removed from the end; \
                     the next append with --sign-key (`vigil scan --history DIR --sign-key \
                     KEY`, `history record`, `history prune`) replaces it with a signed \
                     checkpoint"
                        .into(),
                ));
            } else if last.chain.is_some() && head.seq() == last.seq {
                r.problems.push(finding(format!(
                    "HEAD is an old-format `SEQ HASH` line, but entry {} was written by a \
                     vigil that writes checkpoints: HEAD was rewritten",
                    last.seq
                )));
            }
        }
        Head::Checkpoint(c) => {
            if let Some(lc) = &last.chain
                && *lc != c.chain
            {
                r.problems.push(finding(format!(
                    "HEAD: checkpoint of chain {}, but the ledger's entries are of chain \
                     {lc}: the ledger was replaced with another chain's",
                    c.chain
                )));
            }
            let embedded = match c.embedded_key() {
                Ok(k) => k,
                Err(m) => {
                    r.problems.push(finding(format!("HEAD: {m}")));
                    None
                }
            };
            match (trusted, embedded, &c.signature) {
                (Some(_), _, None) => {
                    r.problems.push(finding(
                        "HEAD: the checkpoint is not signed: with --public-key it must be \
                         signed by that key"
                            .into(),
                    ));
                }
                (None, _, None) => {
                    r.checkpoint = Some(super::verify::CheckpointKind::Unsigned);
                    if last.signature.is_some() {
                        r.problems.push(finding(
                            "HEAD: the checkpoint is not signed, though the entries are: \
                             it was rewritten"
                                .into(),
                        ));
                    }
                }
                (Some(t), Some(k), Some(_)) if *t != k => r.problems.push(finding(
                    "HEAD: the checkpoint is signed by a different key than the trusted one".into(),
                )),
                (None, None, Some(_)) => r
                    .problems
                    .push(finding("HEAD: signature without public_key".into())),
                (t, k, Some(_)) => {
                    let key = t.copied().or(k).expect("one of them");
                    match c.signature_valid(&key) {
                        Ok(_) => r.checkpoint = Some(super::verify::CheckpointKind::Signed),
                        Err(m) => r.problems.push(finding(format!("HEAD: checkpoint {m}"))),
                    }
                }
            }
        }
    }
    let (s, hh) = (head.seq(), head.hash());
    if last.seq == s && last.hash == hh {
        return;
    }
    let before_last = entries.len().checked_sub(2).map(|i| entries[i]);
    if last.seq == s + 1 && before_last.is_some_and(|b| b.seq == s && b.hash == hh) {
        r.warnings.push(finding(format!(
            "HEAD names entry {s}, the ledger ends at entry {}: an append was \
             interrupted before HEAD was updated",
            last.seq
        )));
    } else {
        r.problems.push(finding(format!(
            "HEAD names entry {s} ({}…) but the ledger ends at entry {} ({}…): \
             entries at the end were removed or rewritten",
            short(hh),
            last.seq,
            short(&last.hash)
        )));
    }
}

/// `--expect-head` and `--min-seq`: the chain against what was seen of it before.
fn check_anchor(entries: &[&Entry], opts: &Options, r: &mut Report) {
    let last = entries.last();
    let ends = || match last {
        Some(l) => format!("the chain ends at entry {} ({}…)", l.seq, short(&l.hash)),
        None => "the chain has no entries".into(),
    };
    if let Some((seq, hash)) = &opts.expect_head {
        let flag = format!("--expect-head {seq}:{hash}");
        match entries.iter().find(|e| e.seq == *seq) {
            Some(e) if e.hash == *hash => {}
            Some(e) => r.problems.push(finding(format!(
                "{flag}: entry {seq} has hash {}…: the chain was rewritten or replaced since",
                short(&e.hash)
            ))),
            None if last.is_some_and(|l| l.seq > *seq)
                && entries.iter().any(|e| {
                    e.prune
                        .as_ref()
                        .and_then(|p| p.removed_through_seq)
                        .is_some_and(|t| t >= *seq)
                }) =>
            {
                r.warnings.push(finding(format!(
                    "{flag}: entry {seq} was pruned, its hash cannot be checked"
                )))
            }
            None if last.is_some_and(|l| l.seq > *seq) => r.problems.push(finding(format!(
                "{flag}: entry {seq} is not in the chain and no prune entry records its \
                 removal: the chain was replaced"
            ))),
            None => r.problems.push(finding(format!(
                "{flag}: {}: entries after it were removed (the history was rolled back) \
                 or the chain was replaced",
                ends()
            ))),
        }
    }
    if let Some(n) = opts.min_seq
        && last.is_none_or(|l| l.seq < n)
    {
        r.problems.push(finding(format!(
            "--min-seq {n}: {}: entries were removed (the history was rolled back)",
            ends()
        )));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::ledger::tests::{openssl_key, results_doc};
    use crate::history::ledger::{
        HEAD_FILE, LEDGER_FILE, load_signing_key, read_ledger, record_scan, results_path,
    };
    use std::fs;
    use std::path::PathBuf;

    fn history(n: usize) -> (tempfile::TempDir, Vec<Entry>) {
        let d = tempfile::tempdir().unwrap();
        let es = (0..n)
            .map(|i| {
                let r = if i % 2 == 0 { "pass" } else { "fail" };
                record_scan(
                    d.path(),
                    &results_doc(&[("a", r), ("b", &i.to_string())]),
                    None,
                )
                .unwrap()
            })
            .collect();
        (d, es)
    }

    fn ledger_lines(d: &Path) -> Vec<String> {
        fs::read_to_string(d.join(LEDGER_FILE))
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn write_lines(d: &Path, lines: &[String]) {
        let mut s = lines.join("\n");
        s.push('\n');
        fs::write(d.join(LEDGER_FILE), s).unwrap();
    }

    fn problem_seqs(r: &Report) -> Vec<Option<u64>> {
        r.problems.iter().map(|f| f.seq).collect()
    }

    #[test]
    fn intact_history_verifies() {
        let (d, _) = history(4);
        let r = verify(d.path(), None).unwrap();
        assert!(r.ok(), "{:?}", r.problems);
        assert_eq!(r.entries, 4);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    }

    #[test]
    fn history_written_before_entries_recorded_the_host_verifies() {
        let d = crate::history::ledger::tests::v1_history();
        let r = verify(d.path(), None).unwrap();
        assert!(r.ok() && r.warnings.is_empty(), "{r:?}");
        assert_eq!((r.entries, r.signed), (2, 1));
        // New entries appended to it verify with it; editing a new field is caught.
        // (Entry 2 is signed, so appending needs a key; the throw-away one is gone.)
        let k = crate::history::ledger::tests::openssl_key(d.path(), "k.pem");
        record_scan(d.path(), &results_doc(&[("a", "pass")]), Some(&k)).unwrap();
        let r = verify(d.path(), None).unwrap();
        assert!(r.ok() && r.warnings.is_empty(), "{r:?}");
        assert_eq!(r.entries, 3);
        let mut lines = ledger_lines(d.path());
        lines[2] = lines[2].replace(r#""host":"h1""#, r#""host":"h2""#);
        write_lines(d.path(), &lines);
        let r = verify(d.path(), None).unwrap();
        assert_eq!(problem_seqs(&r), vec![Some(3)], "{:?}", r.problems);
    }

    #[test]
    fn edited_results_file_is_named() {
        let (d, es) = history(3);
        let p = results_path(d.path(), es[1].results_sha256.as_ref().unwrap());
        let text = fs::read_to_string(&p).unwrap().replace("fail", "pass");
        fs::write(&p, text).unwrap();
        let r = verify(d.path(), None).unwrap();
        assert_eq!(problem_seqs(&r), vec![Some(2)], "{:?}", r.problems);
        assert!(r.problems[0].message.contains("results were edited"));
    }

    #[test]
    fn removed_results_file_is_named() {
        let (d, es) = history(3);
        fs::remove_file(results_path(
            d.path(),
            es[2].results_sha256.as_ref().unwrap(),
        ))
        .unwrap();
        let r = verify(d.path(), None).unwrap();
        assert_eq!(problem_seqs(&r), vec![Some(3)]);
    }

    #[test]
    fn edited_entry_is_named() {
        let (d, es) = history(3);
        let mut lines = ledger_lines(d.path());
        lines[1] = lines[1].replace(&es[1].time, "2001-01-01T00:00:00.000000Z");
        write_lines(d.path(), &lines);
        let r = verify(d.path(), None).unwrap();
        assert_eq!(problem_seqs(&r), vec![Some(2)], "{:?}", r.problems);
        assert!(r.problems[0].message.contains("edited"));
    }

    #[test]
    fn edited_entry_with_recomputed_hash_breaks_the_next_link() {
        let (d, es) = history(3);
        let mut e = es[1].clone();
        e.results_sha256 = es[0].results_sha256.clone();
        e.hash = e.compute_hash();
        let mut lines = ledger_lines(d.path());
        lines[1] = e.to_line();
        write_lines(d.path(), &lines);
        let r = verify(d.path(), None).unwrap();
        assert_eq!(problem_seqs(&r), vec![Some(3)], "{:?}", r.problems);
    }

    #[test]
    fn reformatted_line_is_an_edit() {
        let (d, _) = history(2);
        let mut lines = ledger_lines(d.path());
        lines[0] = lines[0].replacen(':', ": ", 1);
        write_lines(d.path(), &lines);
        let r = verify(d.path(), None).unwrap();
        assert_eq!(problem_seqs(&r), vec![Some(1)]);
    }

    #[test]
    fn removed_middle_entry_is_named() {
        let (d, _) = history(4);
        let mut lines = ledger_lines(d.path());
        lines.remove(1);
        write_lines(d.path(), &lines);
        let r = verify(d.path(), None).unwrap();
        assert_eq!(problem_seqs(&r), vec![Some(3)], "{:?}", r.problems);
        assert!(r.problems[0].message.contains("does not follow entry 1"));
    }

    #[test]
    fn removed_first_and_last_entries_are_detected() {
        let (d, _) = history(3);
        let lines = ledger_lines(d.path());
        write_lines(d.path(), &lines[1..]);
        let r = verify(d.path(), None).unwrap();
        assert_eq!(problem_seqs(&r), vec![Some(2)]);
        assert!(r.problems[0].message.contains("entries 1..1 are missing"));

        let (d, _) = history(3);
        let lines = ledger_lines(d.path());
        write_lines(d.path(), &lines[..2]);
        let r = verify(d.path(), None).unwrap();
        assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
        assert!(r.problems[0].message.contains("HEAD names entry 3"));
    }

    #[test]
    fn removed_ledger_is_detected() {
        let (d, _) = history(2);
        fs::remove_file(d.path().join(LEDGER_FILE)).unwrap();
        fs::remove_file(d.path().join(HEAD_FILE)).unwrap();
        let r = verify(d.path(), None).unwrap();
        assert_eq!(r.problems.len(), 2, "{r:?}");
    }

    #[test]
    fn removed_head_is_detected() {
        let (d, _) = history(2);
        fs::remove_file(d.path().join(HEAD_FILE)).unwrap();
        assert!(!verify(d.path(), None).unwrap().ok());
    }

    #[test]
    fn reordered_entries_are_named() {
        let (d, _) = history(4);
        let mut lines = ledger_lines(d.path());
        lines.swap(1, 2);
        write_lines(d.path(), &lines);
        let r = verify(d.path(), None).unwrap();
        assert_eq!(
            problem_seqs(&r),
            vec![Some(3), Some(2), Some(4)],
            "{:?}",
            r.problems
        );
    }

    #[test]
    fn inserted_entry_is_named() {
        let (d, es) = history(3);
        // A well-formed entry chained onto entry 2, slipped in before entry 3.
        let mut fake = es[2].clone();
        fake.time = "2030-01-01T00:00:00.000000Z".into();
        fake.hash = fake.compute_hash();
        let mut lines = ledger_lines(d.path());
        lines.insert(2, fake.to_line());
        write_lines(d.path(), &lines);
        let r = verify(d.path(), None).unwrap();
        assert!(
            r.problems
                .iter()
                .any(|f| f.line == Some(4) && f.seq == Some(3)),
            "{:?}",
            r.problems
        );
        assert!(!r.ok());
    }

    #[test]
    fn garbage_line_is_named() {
        let (d, _) = history(3);
        let mut lines = ledger_lines(d.path());
        lines[1] = "not json".into();
        write_lines(d.path(), &lines);
        let r = verify(d.path(), None).unwrap();
        assert_eq!(r.problems[0].line, Some(2));
    }

    #[test]
    fn truncated_last_line_after_crash_still_verifies() {
        let (d, _) = history(3);
        let mut text = fs::read_to_string(d.path().join(LEDGER_FILE)).unwrap();
        let third = text.trim_end().rfind('\n').unwrap() + 1;
        // The crash: entry 3 only partly on disk, HEAD still names entry 2.
        let partial = text[third..third + 40].to_string();
        text.truncate(third);
        text.push_str(&partial);
        fs::write(d.path().join(LEDGER_FILE), &text).unwrap();
        let l = read_ledger(d.path()).unwrap();
        let h = HistoryDir::open(d.path(), false).unwrap();
        crate::history::ledger::write_head(&h, l.lines[1].entry.as_ref().unwrap(), None).unwrap();
        let r = verify(d.path(), None).unwrap();
        assert!(r.ok(), "{:?}", r.problems);
        assert!(r.warnings.iter().any(|w| w.message.contains("interrupted")));
        // A leftover temporary results file from the same crash is not a problem.
        fs::write(d.path().join(RESULTS_DIR).join(".tmp-1-x.json"), "{").unwrap();
        // Nor one named as the writer names its temporary files now.
        let leftover = format!("{}{}-x.json", crate::outfile::TEMP_PREFIX, "0".repeat(32));
        fs::write(d.path().join(RESULTS_DIR).join(leftover), "{").unwrap();
        // Appending repairs the tail.
        record_scan(d.path(), &results_doc(&[]), None).unwrap();
        let r = verify(d.path(), None).unwrap();
        assert!(r.ok() && r.entries == 3, "{:?}", r);
        assert!(
            !r.warnings
                .iter()
                .any(|w| w.message.contains(crate::outfile::TEMP_PREFIX)),
            "{:?}",
            r.warnings
        );
    }

    #[test]
    fn signatures_verify_against_trusted_key_only() {
        let d = tempfile::tempdir().unwrap();
        let k1 = openssl_key(d.path(), "k1.pem");
        let k2 = openssl_key(d.path(), "k2.pem");
        let h: PathBuf = d.path().join("h");
        for i in 0..3 {
            record_scan(&h, &results_doc(&[("a", &i.to_string())]), Some(&k1)).unwrap();
        }
        let good = load_signing_key(&k1).unwrap().verifying_key();
        let wrong = load_signing_key(&k2).unwrap().verifying_key();
        let r = verify(&h, Some(&good)).unwrap();
        assert!(r.ok() && r.signed == 3, "{:?}", r.problems);
        let r = verify(&h, Some(&wrong)).unwrap();
        // The entries and the checkpoint.
        assert_eq!(problem_seqs(&r), vec![Some(1), Some(2), Some(3), None]);
        assert!(r.problems[0].message.contains("different key"));
        assert!(
            r.problems[3]
                .message
                .starts_with("HEAD: the checkpoint is signed by a different key")
        );
        // vigil refuses to append unsigned to a signed chain; an unsigned entry written
        // another way (an older vigil, a hand edit) fails under a trusted key and warns
        // without.
        assert!(record_scan(&h, &results_doc(&[]), None).is_err());
        let last = crate::history::ledger::read_ledger(&h)
            .unwrap()
            .entries(&h)
            .unwrap()
            .pop()
            .unwrap();
        let doc = results_doc(&[]);
        let sha = sha256_hex(&doc);
        HistoryDir::open(&h, false)
            .unwrap()
            .replace_result(&results_name(&sha), &doc)
            .unwrap();
        let e = crate::history::ledger::new_entry(
            last.seq + 1,
            last.hash,
            last.chain.clone().unwrap(),
            crate::history::ledger::Body::Scan {
                results_sha256: sha,
                facts: Default::default(),
            },
            None,
        );
        let mut ledger = fs::OpenOptions::new()
            .append(true)
            .open(h.join(crate::history::ledger::LEDGER_FILE))
            .unwrap();
        std::io::Write::write_all(&mut ledger, format!("{}\n", e.to_line()).as_bytes()).unwrap();
        assert_eq!(
            problem_seqs(&verify(&h, Some(&good)).unwrap()),
            vec![Some(4)]
        );
        let r = verify(&h, None).unwrap();
        assert!(r.ok() && r.warnings.iter().any(|w| w.seq == Some(4)));
    }

    #[test]
    fn forged_signature_with_own_key_fails_trusted_check() {
        let d = tempfile::tempdir().unwrap();
        let k1 = openssl_key(d.path(), "k1.pem");
        let k2 = openssl_key(d.path(), "k2.pem");
        let h = d.path().join("h");
        record_scan(&h, &results_doc(&[]), Some(&k1)).unwrap();
        // An attacker rewrites the whole history with their own key: the chain is
        // consistent, only the trusted key exposes it.
        fs::remove_dir_all(&h).unwrap();
        record_scan(&h, &results_doc(&[("x", "pass")]), Some(&k2)).unwrap();
        assert!(verify(&h, None).unwrap().ok());
        let good = load_signing_key(&k1).unwrap().verifying_key();
        assert!(!verify(&h, Some(&good)).unwrap().ok());
    }

    #[test]
    fn tampered_signature_is_named() {
        let d = tempfile::tempdir().unwrap();
        let k1 = openssl_key(d.path(), "k1.pem");
        let h = d.path().join("h");
        let e = record_scan(&h, &results_doc(&[]), Some(&k1)).unwrap();
        let mut bad = e.clone();
        let sig = bad.signature.clone().unwrap();
        bad.signature = Some(format!(
            "{}{}",
            if &sig[..1] == "0" { "1" } else { "0" },
            &sig[1..]
        ));
        write_lines(&h, &[bad.to_line()]);
        let r = verify(&h, None).unwrap();
        assert_eq!(problem_seqs(&r), vec![Some(1)], "{:?}", r.problems);
    }

    #[test]
    fn old_head_verifies_without_a_key_and_fails_with_one_until_the_next_signed_append() {
        let d = crate::history::ledger::tests::v1_history();
        let r = verify(d.path(), None).unwrap();
        assert!(r.ok(), "{r:?}");
        assert_eq!(
            (r.chain.as_deref(), r.unidentified, r.checkpoint),
            (None, 2, Some(CheckpointKind::Legacy))
        );
        let k = openssl_key(d.path(), "k.pem");
        let key = load_signing_key(&k).unwrap().verifying_key();
        let r = verify(d.path(), Some(&key)).unwrap();
        assert!(
            r.problems.iter().any(
                |f| f.message.starts_with("HEAD is an unsigned `SEQ HASH` line")
                    && f.message.contains("--sign-key")
            ),
            "{r:?}"
        );
        // The fixture's entry 2 was signed by a throw-away key; after a signed append the
        // checkpoint is signed and the new entry carries a chain identity.
        let e3 = record_scan(d.path(), &results_doc(&[("a", "pass")]), Some(&k)).unwrap();
        let r = verify(d.path(), None).unwrap();
        assert!(r.ok(), "{r:?}");
        assert_eq!(
            (r.chain.as_ref(), r.unidentified, r.checkpoint),
            (e3.chain.as_ref(), 2, Some(CheckpointKind::Signed))
        );
    }

    #[test]
    fn expect_head_and_min_seq_catch_a_rollback_and_a_replacement() {
        let (d, es) = history(3);
        let opts = |expect: Option<&Entry>, min_seq| Options {
            trusted: None,
            expect_head: expect.map(|e| (e.seq, e.hash.clone())),
            min_seq,
        };
        assert!(
            verify_with(d.path(), &opts(Some(&es[1]), Some(3)))
                .unwrap()
                .ok()
        );
        // Rolled back to entry 2, HEAD rewritten to match.
        let lines = ledger_lines(d.path());
        write_lines(d.path(), &lines[..2]);
        let h = HistoryDir::open(d.path(), false).unwrap();
        crate::history::ledger::write_head(&h, &es[1], None).unwrap();
        assert!(verify(d.path(), None).unwrap().ok());
        let r = verify_with(d.path(), &opts(Some(&es[2]), None)).unwrap();
        assert_eq!(r.problems.len(), 1, "{r:?}");
        assert!(r.problems[0].message.contains("rolled back"), "{r:?}");
        let r = verify_with(d.path(), &opts(None, Some(3))).unwrap();
        assert!(
            r.problems[0]
                .message
                .starts_with("--min-seq 3: the chain ends at entry 2")
        );
        // Another chain of the same length in its place.
        let (other, _) = history(3);
        for f in [LEDGER_FILE, HEAD_FILE] {
            fs::copy(other.path().join(f), d.path().join(f)).unwrap();
        }
        for f in fs::read_dir(other.path().join(RESULTS_DIR)).unwrap() {
            let f = f.unwrap();
            fs::copy(f.path(), d.path().join(RESULTS_DIR).join(f.file_name())).unwrap();
        }
        let r = verify_with(d.path(), &opts(Some(&es[2]), None)).unwrap();
        assert!(
            r.problems
                .iter()
                .any(|f| f.message.contains("rewritten or replaced")),
            "{r:?}"
        );
        assert!(parse_head("3:abc").is_err());
        assert_eq!(
            parse_head(&format!("3:{}", es[2].hash.to_uppercase())),
            Ok((3, es[2].hash.clone()))
        );
    }

    #[test]
    fn an_entry_of_another_chain_is_named() {
        let (d, es) = history(2);
        let (_o, other) = history(1);
        // Entry 2 rewritten to carry the other chain's identity, rehashed.
        let mut e = es[1].clone();
        e.chain = other[0].chain.clone();
        e.hash = e.compute_hash();
        let mut lines = ledger_lines(d.path());
        lines[1] = e.to_line();
        write_lines(d.path(), &lines);
        let h = HistoryDir::open(d.path(), false).unwrap();
        crate::history::ledger::write_head(&h, &e, None).unwrap();
        let r = verify(d.path(), None).unwrap();
        assert_eq!(problem_seqs(&r), vec![Some(2)], "{r:?}");
        assert!(r.problems[0].message.contains("another chain"), "{r:?}");
    }
}
