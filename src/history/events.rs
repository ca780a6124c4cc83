//! `--events PATH|syslog`: one JSON event per new failure (a rule failing in this scan
//! that was not failing, or absent, in the previous one), for a SIEM to pick up (CCM
//! LOG-11: security events about the scanned host's key management).
//!
//! Event fields: `event_type` (`vigil.rule.new_failure`), `time` (RFC 3339 UTC, when
//! emitted), `identity` (the user running the scan) and `uid`, `outcome` (the rule's
//! result: fail, error or unknown), `host` (the results' `scan.host.hostname`, else this
//! machine's name), `rule` {`id`, `title`, `severity`}, `previous` (the earlier result
//! or null), `messages`, and `history_head` {`seq`, `hash`, `chain`}: the history's
//! head after this scan was recorded (with `--history`), so a SIEM holds an anchor
//! outside the host to check the chain against later (`history verify --expect-head
//! SEQ:HASH`): a history rolled back or replaced no longer contains it.
//!
//! Targets: a file (JSON lines, appended), `-` (standard output), or `syslog` through
//! the local `/dev/log` datagram socket, as RFC 5424 (`syslog`, `syslog:rfc5424`) or
//! RFC 3164 (`syslog:rfc3164`). Syslog messages use facility auth (4) and severity
//! warning (4), APP-NAME `vigil` and MSGID `new-failure`; the JSON event is the message.
//!
//! `vigil baseline restore --events` sends its own events the same ways (MSGID
//! `restore`): one per path restored or refused ([`restore_events`]); so does
//! `vigil watch` (MSGID `watch`: `vigil.watch.change`, `.overflow`, `.limit`).
//!
//! `--events-format cef|ocsf` writes each event as a CEF line or an OCSF finding instead
//! of vigil's JSON object ([`super::siem`]); the target and the syslog framing stay
//! the same.

use std::io::Write;
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;

use serde_json::{Value, json};

use super::diff::diff;
use super::error::{Error, Result};
use vigil_core::osutil::{current_user, hostname};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SyslogFormat {
    Rfc5424,
    Rfc3164,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    File(PathBuf),
    Stdout,
    Syslog {
        socket: PathBuf,
        format: SyslogFormat,
    },
}

impl std::str::FromStr for Target {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Target, String> {
        let syslog = |format| Target::Syslog {
            socket: PathBuf::from("/dev/log"),
            format,
        };
        Ok(match s {
            "" => return Err("empty events target".into()),
            "-" => Target::Stdout,
            "syslog" | "syslog:rfc5424" | "syslog:5424" => syslog(SyslogFormat::Rfc5424),
            "syslog:rfc3164" | "syslog:3164" => syslog(SyslogFormat::Rfc3164),
            s if s.starts_with("syslog:") => {
                return Err(format!("{s}: syslog format must be rfc5424 or rfc3164"));
            }
            p => Target::File(PathBuf::from(p)),
        })
    }
}

/// Where events go and in which format: what `--events` and `--events-format` say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sink {
    pub target: Target,
    pub format: super::siem::Format,
}

impl Sink {
    pub(crate) fn new(target: Target, format: super::siem::Format) -> Sink {
        Sink { target, format }
    }
}

/// The new-failure events between two results documents (all failures when there is no
/// previous scan).
pub(crate) fn new_failure_events(
    previous: Option<&Value>,
    current: &Value,
    head: Option<&super::ledger::Entry>,
) -> Vec<Value> {
    let empty = json!({});
    let d = diff(previous.unwrap_or(&empty), current);
    let host = current
        .pointer("/scan/host/hostname")
        .and_then(Value::as_str)
        .map_or_else(hostname, str::to_string);
    let rules = super::diff::rules_of(current);
    let identity = current_user();
    // SAFETY: geteuid never fails.
    let uid = unsafe { libc::geteuid() };
    let time = super::ledger::now_rfc3339();
    let head = head.map(|e| json!({"seq": e.seq, "hash": e.hash, "chain": e.chain}));
    d.new_failures
        .iter()
        .map(|c| {
            let r = &rules[&c.id];
            let mut ev = json!({
                "event_type": "vigil.rule.new_failure",
                "time": time,
                "identity": identity,
                "uid": uid,
                "outcome": r.result,
                "host": host,
                "rule": {"id": r.id, "title": r.title, "severity": r.severity},
                "previous": c.before,
                "messages": r.messages,
            });
            if let Some(h) = &head {
                ev["history_head"] = h.clone();
            }
            ev
        })
        .collect()
}

/// Emits one event per new failure of `current` relative to `previous` to `sink`.
/// `head`: the history entry this scan was recorded as, named in every event. Returns
/// the number of events written.
pub(crate) fn emit(
    previous: Option<&[u8]>,
    current: &[u8],
    sink: &Sink,
    head: Option<&super::ledger::Entry>,
) -> Result<usize> {
    let parse = |b: &[u8]| {
        vigil_core::model::from_json_slice::<Value>(b)
            .map_err(|e| Error::InvalidResults(e.to_string()))
    };
    let prev = previous.map(parse).transpose()?;
    let cur = parse(current)?;
    let events = new_failure_events(prev.as_ref(), &cur, head);
    send(&events, sink, "new-failure")
}

/// The events of a `vigil baseline restore`: one per path restored (`vigil.baseline.restored`)
/// or refused (`vigil.baseline.restore_refused`), with the store, its manifest's hash,
/// the path, what was put back or why not, and the history entry the restore was
/// recorded as.
pub(crate) fn restore_events(
    record: &super::ledger::RestoreRecord,
    outcomes: &[(String, bool, String)],
    head: Option<&super::ledger::Entry>,
) -> Vec<Value> {
    let identity = current_user();
    // SAFETY: geteuid never fails.
    let uid = unsafe { libc::geteuid() };
    let time = super::ledger::now_rfc3339();
    let host = hostname();
    let head = head.map(|e| json!({"seq": e.seq, "hash": e.hash, "chain": e.chain}));
    outcomes
        .iter()
        .map(|(path, restored, detail)| {
            let mut ev = json!({
                "event_type": if *restored { "vigil.baseline.restored" } else { "vigil.baseline.restore_refused" },
                "time": time,
                "identity": identity,
                "uid": uid,
                "outcome": if *restored { "restored" } else { "refused" },
                "host": host,
                "path": path,
                "detail": detail,
                "store": record.store,
                "manifest_sha256": record.manifest_sha256,
                "signed_by": record.signed_by,
                "root": record.root,
            });
            if let Some(h) = &head {
                ev["history_head"] = h.clone();
            }
            ev
        })
        .collect()
}

/// Writes `events` to the sink in its format (syslog messages carry `msgid`); returns
/// how many.
pub(crate) fn send(events: &[Value], sink: &Sink, msgid: &str) -> Result<usize> {
    if events.is_empty() {
        return Ok(0);
    }
    let lines = events.iter().map(|e| super::siem::encode(e, sink.format));
    match &sink.target {
        Target::Stdout => {
            let mut out = std::io::stdout().lock();
            for e in lines {
                writeln!(out, "{e}").map_err(|e| Error::Events(e.to_string()))?;
            }
        }
        Target::File(p) => {
            let mut text = String::new();
            for e in lines {
                text.push_str(&e);
                text.push('\n');
            }
            // One append of all lines so concurrent scans do not interleave halves.
            crate::outfile::append(p, text.as_bytes(), crate::outfile::NewFile::Private)?;
        }
        Target::Syslog { socket, format } => {
            let sock = UnixDatagram::unbound().map_err(Error::io(socket))?;
            let host = hostname();
            for e in lines {
                let msg = syslog_message(*format, &host, msgid, &e);
                sock.send_to(msg.as_bytes(), socket)
                    .map_err(|err| Error::Events(format!("{}: {err}", socket.display())))?;
            }
        }
    }
    Ok(events.len())
}

/// PRI for facility auth (4), severity warning (4).
const PRI: u8 = 4 * 8 + 4;

fn syslog_message(format: SyslogFormat, host: &str, msgid: &str, msg: &str) -> String {
    let pid = std::process::id();
    match format {
        SyslogFormat::Rfc5424 => {
            let ts = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
            format!("<{PRI}>1 {ts} {host} vigil {pid} {msgid} - {msg}")
        }
        SyslogFormat::Rfc3164 => {
            // RFC 3164 time stamps are local time, day of month padded with a space.
            let ts = chrono::Local::now().format("%b %e %H:%M:%S");
            format!("<{PRI}>{ts} {host} vigil[{pid}]: {msg}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::ledger::tests::results_doc;

    fn json_sink(target: Target) -> Sink {
        Sink::new(target, crate::history::siem::Format::Json)
    }

    #[test]
    fn targets_parse() {
        assert_eq!("-".parse::<Target>(), Ok(Target::Stdout));
        assert!(matches!(
            "syslog:rfc3164".parse::<Target>(),
            Ok(Target::Syslog {
                format: SyslogFormat::Rfc3164,
                ..
            })
        ));
        assert!("syslog:json".parse::<Target>().is_err());
        assert_eq!(
            "/tmp/ev.jsonl".parse::<Target>(),
            Ok(Target::File("/tmp/ev.jsonl".into()))
        );
    }

    #[test]
    fn file_target_gets_one_line_per_new_failure() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("ev.jsonl");
        let prev = results_doc(&[("a", "fail"), ("b", "pass"), ("c", "pass")]);
        let cur = results_doc(&[("a", "fail"), ("b", "fail"), ("c", "error"), ("d", "pass")]);
        let n = emit(Some(&prev), &cur, &json_sink(Target::File(p.clone())), None).unwrap();
        assert_eq!(n, 2);
        let text = std::fs::read_to_string(&p).unwrap();
        let evs: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(evs.len(), 2);
        assert_eq!(evs[0]["rule"]["id"], "b");
        assert_eq!(evs[0]["outcome"], "fail");
        assert_eq!(evs[0]["previous"], "pass");
        assert_eq!(evs[1]["outcome"], "error");
        assert_eq!(evs[0]["host"], "h1");
        assert_eq!(evs[0]["identity"], current_user());
        assert_eq!(evs[0]["event_type"], "vigil.rule.new_failure");
        assert!(chrono::DateTime::parse_from_rfc3339(evs[0]["time"].as_str().unwrap()).is_ok());
        // No previous scan: every failure is new.
        assert_eq!(
            emit(None, &cur, &json_sink(Target::File(p)), None).unwrap(),
            3
        );
    }

    #[test]
    fn syslog_target_sends_rfc5424_and_rfc3164_datagrams() {
        let d = tempfile::tempdir().unwrap();
        let sock_path = d.path().join("log");
        let server = UnixDatagram::bind(&sock_path).unwrap();
        server
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        let prev = results_doc(&[("a", "pass")]);
        let cur = results_doc(&[("a", "fail")]);
        let mut buf = vec![0u8; 65536];
        for (format, check) in [
            (SyslogFormat::Rfc5424, "<36>1 "),
            (SyslogFormat::Rfc3164, "<36>"),
        ] {
            let t = Target::Syslog {
                socket: sock_path.clone(),
                format,
            };
            assert_eq!(
                emit(Some(&prev), &cur, &json_sink(t.clone()), None).unwrap(),
                1
            );
            let n = server.recv(&mut buf).unwrap();
            let msg = std::str::from_utf8(&buf[..n]).unwrap();
            assert!(msg.starts_with(check), "{msg}");
            let json_start = msg.find('{').unwrap();
            let ev: Value = serde_json::from_str(&msg[json_start..]).unwrap();
            assert_eq!(ev["rule"]["id"], "a");
            match format {
                SyslogFormat::Rfc5424 => {
                    let parts: Vec<&str> = msg.splitn(8, ' ').collect();
                    assert!(
                        chrono::DateTime::parse_from_rfc3339(parts[1]).is_ok(),
                        "{msg}"
                    );
                    assert_eq!(
                        &parts[3..7],
                        &["vigil", &std::process::id().to_string(), "new-failure", "-"]
                    );
                }
                SyslogFormat::Rfc3164 => {
                    assert!(
                        msg.contains(&format!(" vigil[{}]: {{", std::process::id())),
                        "{msg}"
                    );
                }
            }
        }
    }

    #[test]
    fn syslog_without_listener_is_an_error_not_a_hang() {
        let d = tempfile::tempdir().unwrap();
        let t = Target::Syslog {
            socket: d.path().join("nobody"),
            format: SyslogFormat::Rfc5424,
        };
        let cur = results_doc(&[("a", "fail")]);
        assert!(matches!(
            emit(None, &cur, &json_sink(t), None),
            Err(Error::Events(_))
        ));
    }
}
