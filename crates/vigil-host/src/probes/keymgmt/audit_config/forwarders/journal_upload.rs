//! systemd-journal-upload (journal-upload.conf(5), systemd-journal-upload(8)): the
//! `URL=` of the `[Upload]` section of /etc/systemd/journal-upload.conf and of its
//! drop-ins /etc/systemd/journal-upload.conf.d/*.conf (read in that order, the last
//! setting wins, an empty `URL=` clears it). A URL without a scheme is `https`, without
//! a port 19532, as systemd-journal-upload reads it. The service must be enabled:
//! systemd-journal-upload.service is not enabled by installing the package.

use super::{Forwarder, Reader, Target, parse_url};

/// systemd-journal-upload's default port.
const DEFAULT_PORT: u16 = 19532;

/// The effective `URL=` of the files in order, with its `file:line`.
pub fn upload_url(files: &[(String, String)]) -> Option<(String, String)> {
    let mut url = None;
    for (file, text) in files {
        let mut section = String::new();
        for (i, line) in text.lines().enumerate() {
            let l = line.trim();
            if l.starts_with('#') || l.starts_with(';') || l.is_empty() {
                continue;
            }
            if let Some(s) = l.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
                section = s.trim().to_string();
                continue;
            }
            if section != "Upload" {
                continue;
            }
            if let Some((k, v)) = l.split_once('=')
                && k.trim() == "URL"
            {
                let v = v.trim();
                url = (!v.is_empty()).then(|| (v.to_string(), format!("{file}:{}", i + 1)));
            }
        }
    }
    url
}

/// systemd-journal-upload as configured on the host.
pub fn inspect(r: &mut Reader) -> Forwarder {
    let mut names = vec!["/etc/systemd/journal-upload.conf".to_string()];
    names.extend(r.dir_files("/etc/systemd/journal-upload.conf.d", &[".conf"]));
    let files: Vec<(String, String)> = names
        .into_iter()
        .filter_map(|n| r.text(&n).map(|t| (n, t)))
        .collect();
    let targets: Vec<Target> = upload_url(&files)
        .map(|(url, source)| {
            let (scheme, host, port) = parse_url(&url, "https");
            Target {
                host,
                port: Some(port.unwrap_or(DEFAULT_PORT)),
                protocol: scheme,
                source,
            }
        })
        .into_iter()
        .collect();
    Forwarder {
        configured: !targets.is_empty(),
        enabled: r.unit_enabled("systemd-journal-upload.service"),
        targets,
        ..Forwarder::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_url_of_the_upload_section_wins() {
        let files = vec![
            (
                "/etc/systemd/journal-upload.conf".to_string(),
                "[Upload]\n# URL=http://old\nURL=http://a.example:1\n[Other]\nURL=http://not\n"
                    .to_string(),
            ),
            (
                "/etc/systemd/journal-upload.conf.d/siem.conf".to_string(),
                "[Upload]\nURL=siem.example.net\n".to_string(),
            ),
        ];
        assert_eq!(
            upload_url(&files),
            Some((
                "siem.example.net".into(),
                "/etc/systemd/journal-upload.conf.d/siem.conf:2".into()
            ))
        );
        let cleared = vec![files[0].clone(), ("d".into(), "[Upload]\nURL=\n".into())];
        assert_eq!(upload_url(&cleared), None);
    }
}
