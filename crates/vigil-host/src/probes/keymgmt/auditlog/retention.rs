//! How long the host keeps an audit log (CCM LOG-11, the retention half of SP 800-130
//! FR:8.12): auditd's own rotation (auditd.conf) for auditd logs, logrotate(8) for the
//! others. `audit_log_object` compares it with the policy's `retention_days`, and falls
//! back on the oldest record kept when rotation is by size.

use std::path::Path;

use crate::probes::Context;

/// Retention the host's configuration gives a log: `None` = nothing deletes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Retention {
    /// Days of records kept; `None` when nothing deletes the log (or rotation is
    /// size-based).
    pub days: Option<u32>,
    /// Where the figure comes from, for evidence (`auditd.conf: ...`, the logrotate rule,
    /// ...).
    pub basis: String,
    /// Rotation discards logs by size, not age: only the records kept tell.
    pub size_based: bool,
}

/// auditd.conf's `max_log_file_action` and `num_logs` (auditd.conf(5)).
pub(crate) fn auditd_retention(ctx: &Context) -> Retention {
    let conf = ctx
        .host
        .read_file(Path::new("/etc/audit/auditd.conf"), 1 << 20)
        .ok()
        .flatten()
        .map(|d| String::from_utf8_lossy(&d).to_string())
        .unwrap_or_default();
    let mut action = "rotate".to_string();
    let mut num_logs = "5".to_string();
    for line in conf.lines() {
        if let Some((k, v)) = line.split_once('=') {
            match k.trim() {
                "max_log_file_action" => action = v.trim().to_ascii_lowercase(),
                "num_logs" => num_logs = v.trim().to_string(),
                _ => {}
            }
        }
    }
    match action.as_str() {
        "rotate" => Retention {
            days: None,
            basis: format!(
                "auditd.conf: max_log_file_action = rotate, num_logs = {num_logs} (size-based)"
            ),
            size_based: true,
        },
        a => Retention {
            days: None,
            basis: format!("auditd.conf: max_log_file_action = {a} (logs are not deleted)"),
            size_based: false,
        },
    }
}

/// logrotate(8): the rule covering `path` in /etc/logrotate.conf and the files it
/// includes; retention is `rotate` x period, capped by `maxage`.
pub fn logrotate_retention(ctx: &Context, path: &str) -> Retention {
    let mut files = vec![("/etc/logrotate.conf".to_string(), 0)];
    let (mut g_rotate, mut g_period) = (0u32, 7u32);
    let mut i = 0;
    while i < files.len() {
        let (file, _) = files[i].clone();
        i += 1;
        let text = match ctx.host.read_file(Path::new(&file), 1 << 20) {
            Ok(Some(d)) => String::from_utf8_lossy(&d).to_string(),
            _ => continue,
        };
        let mut in_block: Option<Vec<String>> = None;
        let (mut rotate, mut period, mut maxage) = (g_rotate, g_period, None::<u32>);
        let mut pending: Vec<String> = Vec::new();
        for line in text.lines() {
            let t = line.split('#').next().unwrap_or("").trim();
            if t.is_empty() {
                continue;
            }
            if let Some(open) = t.find('{') {
                pending.extend(
                    t[..open]
                        .split_whitespace()
                        .map(|s| s.trim_matches('"').to_string()),
                );
                in_block = Some(std::mem::take(&mut pending));
                (rotate, period, maxage) = (g_rotate, g_period, None);
                continue;
            }
            if t.starts_with('}') {
                if let Some(paths) = in_block.take()
                    && paths
                        .iter()
                        .any(|p| crate::probes::keymgmt::wildcard_match(p, path))
                {
                    let mut days = rotate.saturating_mul(period);
                    if let Some(m) = maxage {
                        days = days.min(m);
                    }
                    return Retention {
                        days: Some(days),
                        basis: format!(
                            "{file}: rotate {rotate} x {period} day(s){}",
                            maxage.map(|m| format!(", maxage {m}")).unwrap_or_default()
                        ),
                        size_based: false,
                    };
                }
                continue;
            }
            let mut words = t.split_whitespace();
            let word = words.next().unwrap_or("");
            let arg = words.next();
            let (r, p) = if in_block.is_some() {
                (&mut rotate, &mut period)
            } else {
                (&mut g_rotate, &mut g_period)
            };
            match word {
                "rotate" => *r = arg.and_then(|a| a.parse().ok()).unwrap_or(*r),
                "daily" => *p = 1,
                "weekly" => *p = 7,
                "monthly" => *p = 31,
                "yearly" => *p = 366,
                "maxage" if in_block.is_some() => maxage = arg.and_then(|a| a.parse().ok()),
                "include" if in_block.is_none() => {
                    if let Some(inc) = arg {
                        match ctx.host.resolve(Path::new(inc)) {
                            Ok(Some(f)) if f.meta.is_dir() => {
                                for n in f.list_dir().unwrap_or_default() {
                                    files.push((
                                        format!(
                                            "{}/{}",
                                            inc.trim_end_matches('/'),
                                            n.to_string_lossy()
                                        ),
                                        0,
                                    ));
                                }
                            }
                            Ok(Some(_)) => files.push((inc.to_string(), 0)),
                            _ => {}
                        }
                    }
                }
                _ if in_block.is_none() && word.starts_with('/') => pending.push(word.to_string()),
                _ => {}
            }
        }
    }
    Retention {
        days: None,
        basis: "no logrotate rule covers the file (it is not rotated away)".into(),
        size_based: false,
    }
}
