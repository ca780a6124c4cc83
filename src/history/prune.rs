//! `vigil history prune --keep-days N`: removes the oldest entries (those appended
//! before now - N days) and their results files, and records the removal as a `prune`
//! entry appended to the chain. The prune record names the last removed entry's seq
//! and hash, which is the `prev_hash` of the first entry kept, so `verify` can tell a
//! recorded prune from entries cut off by hand.
//!
//! Only a prefix is ever removed: the chain must stay contiguous. The ledger is
//! rewritten to a temporary file and renamed over the old one, so a crash leaves the
//! old ledger or the new one; results files are deleted only after the rename (a crash
//! then leaves unreferenced files, which `verify` reports as a warning).

use std::collections::HashSet;
use std::path::Path;

use ed25519_dalek::SigningKey;

use super::dir::HistoryDir;
use super::error::{Error, Result};
use super::ledger::{
    Body, Entry, LEDGER_FILE, Payload, PruneRecord, append_locked, lock_dir, new_chain_id,
    new_entry, read_ledger_in, results_name, write_head,
};

/// Prunes entries older than `keep_days` days before `now`. Returns the prune entry.
pub(crate) fn prune(
    dir: &Path,
    keep_days: u64,
    now: chrono::DateTime<chrono::Utc>,
    key: Option<&SigningKey>,
) -> Result<Entry> {
    let no_history = || Error::NotFound(format!("{}: no history here", dir.display()));
    let h = match HistoryDir::open(dir, false) {
        Err(Error::NotFound(_)) => return Err(no_history()),
        h => h?,
    };
    if h.read(LEDGER_FILE)?.is_none() {
        return Err(no_history());
    }
    let days = i64::try_from(keep_days)
        .ok()
        .and_then(chrono::TimeDelta::try_days)
        .ok_or_else(|| Error::Usage(format!("--keep-days {keep_days} is out of range")))?;
    let cutoff = now - days;
    let lock = lock_dir(&h)?;
    let ledger = read_ledger_in(&h)?;
    let entries = ledger.entries(dir)?;
    let old = |e: &Entry| chrono::DateTime::parse_from_rfc3339(&e.time).is_ok_and(|t| t < cutoff);
    if let Some(last) = entries.last() {
        super::ledger::refuse_unsigned_after_signed(dir, last, key)?;
    }
    let n = entries.iter().take_while(|e| old(e)).count();
    let mut record = PruneRecord {
        keep_days,
        cutoff: cutoff.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        removed_count: n as u64,
        removed_from_seq: None,
        removed_through_seq: None,
        removed_last_hash: None,
    };
    if n == 0 {
        return append_locked(&h, &lock, Payload::Prune(record), key);
    }
    let (gone, kept) = entries.split_at(n);
    record.removed_from_seq = Some(gone[0].seq);
    record.removed_through_seq = Some(gone[n - 1].seq);
    record.removed_last_hash = Some(gone[n - 1].hash.clone());
    let still_used: HashSet<_> = kept
        .iter()
        .filter_map(|e| e.results_sha256.clone())
        .collect();
    let doomed: Vec<String> = gone
        .iter()
        .filter_map(|e| e.results_sha256.clone())
        .filter(|s| !still_used.contains(s))
        .collect();
    let last = entries.last().expect("n > 0");
    let chain = last
        .chain
        .clone()
        .unwrap_or_else(|| new_chain_id(&vigil_core::osutil::hostname()));
    let entry = new_entry(
        last.seq + 1,
        last.hash.clone(),
        chain,
        Body::Prune(record),
        key,
    );
    // Kept lines are copied byte for byte (their hashes must not change), and the prune
    // entry goes in with them: one rename, so a crash cannot leave the removal without
    // its record.
    let mut text = String::new();
    for l in &ledger.lines[n..] {
        text.push_str(&l.text);
        text.push('\n');
    }
    text.push_str(&entry.to_line());
    text.push('\n');
    h.replace(LEDGER_FILE, text.as_bytes())?;
    write_head(&h, &entry, key)?;
    for sha in doomed {
        h.remove_result(&results_name(&sha))?;
    }
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::ledger::tests::results_doc;
    use crate::history::ledger::{Kind, read_ledger, record_scan, results_path};
    use crate::history::verify::verify;
    use std::fs;

    /// Appends scans, then rewrites their times to `ages` days before now (re-hashing
    /// the chain as if they had been written then).
    fn aged_history(ages: &[i64]) -> (tempfile::TempDir, Vec<Entry>) {
        let d = tempfile::tempdir().unwrap();
        for (i, _) in ages.iter().enumerate() {
            record_scan(d.path(), &results_doc(&[("r", &format!("v{i}"))]), None).unwrap();
        }
        let mut es = read_ledger(d.path()).unwrap().entries(d.path()).unwrap();
        let now = chrono::Utc::now();
        let mut prev = super::super::ledger::GENESIS.to_string();
        for (e, age) in es.iter_mut().zip(ages) {
            e.time = (now - chrono::TimeDelta::days(*age))
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
            e.prev_hash = prev;
            e.hash = e.compute_hash();
            prev = e.hash.clone();
        }
        let text: String = es.iter().map(|e| e.to_line() + "\n").collect();
        fs::write(d.path().join(LEDGER_FILE), text).unwrap();
        let h = HistoryDir::open(d.path(), false).unwrap();
        write_head(&h, es.last().unwrap(), None).unwrap();
        (d, es)
    }

    #[test]
    fn prune_removes_old_prefix_and_records_itself_in_the_chain() {
        let (d, es) = aged_history(&[40, 35, 20, 1]);
        assert!(verify(d.path(), None).unwrap().ok());
        let p = prune(d.path(), 30, chrono::Utc::now(), None).unwrap();
        assert_eq!(p.kind, Kind::Prune);
        assert_eq!(p.seq, 5);
        assert_eq!(p.prev_hash, es[3].hash);
        let rec = p.prune.clone().unwrap();
        assert_eq!(
            (
                rec.removed_count,
                rec.removed_from_seq,
                rec.removed_through_seq
            ),
            (2, Some(1), Some(2))
        );
        assert_eq!(rec.removed_last_hash.as_deref(), Some(es[1].hash.as_str()));
        let left = read_ledger(d.path()).unwrap().entries(d.path()).unwrap();
        assert_eq!(left.iter().map(|e| e.seq).collect::<Vec<_>>(), [3, 4, 5]);
        for e in &es[..2] {
            assert!(!results_path(d.path(), e.results_sha256.as_ref().unwrap()).exists());
        }
        let r = verify(d.path(), None).unwrap();
        assert!(r.ok() && r.warnings.is_empty(), "{r:?}");
        // A second prune anchors on the first one's record, and a prune that removes
        // nothing is still recorded.
        let p2 = prune(d.path(), 10, chrono::Utc::now(), None).unwrap();
        assert_eq!(p2.prune.as_ref().unwrap().removed_through_seq, Some(3));
        let p3 = prune(d.path(), 10, chrono::Utc::now(), None).unwrap();
        assert_eq!(p3.prune.as_ref().unwrap().removed_count, 0);
        assert!(verify(d.path(), None).unwrap().ok());
    }

    #[test]
    fn removing_more_than_the_prune_recorded_is_detected() {
        let (d, _) = aged_history(&[40, 35, 20, 1]);
        prune(d.path(), 30, chrono::Utc::now(), None).unwrap();
        let text = fs::read_to_string(d.path().join(LEDGER_FILE)).unwrap();
        let rest: String = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
        fs::write(d.path().join(LEDGER_FILE), rest).unwrap();
        let r = verify(d.path(), None).unwrap();
        assert_eq!(r.problems.len(), 1, "{r:?}");
        assert_eq!(r.problems[0].seq, Some(4));
    }

    #[test]
    fn shared_results_file_survives_prune() {
        let d = tempfile::tempdir().unwrap();
        let doc = results_doc(&[("r", "pass")]);
        record_scan(d.path(), &doc, None).unwrap();
        let e2 = record_scan(d.path(), &doc, None).unwrap();
        // Prune everything up to now (keep 0 days): both scans go, results file too...
        prune(d.path(), 0, chrono::Utc::now(), None).unwrap();
        assert!(!results_path(d.path(), e2.results_sha256.as_ref().unwrap()).exists());
        assert!(verify(d.path(), None).unwrap().ok());
        // ...but with one identical scan kept, the shared file stays.
        let d = tempfile::tempdir().unwrap();
        record_scan(d.path(), &doc, None).unwrap();
        let cut = chrono::Utc::now();
        std::thread::sleep(std::time::Duration::from_millis(5));
        let e2 = record_scan(d.path(), &doc, None).unwrap();
        prune(d.path(), 0, cut, None).unwrap();
        assert!(results_path(d.path(), e2.results_sha256.as_ref().unwrap()).exists());
        assert!(verify(d.path(), None).unwrap().ok());
    }
}
