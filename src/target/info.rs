//! Facts about the scanned host for the results document: name, addresses, operating
//! system, kernel, architecture, and the account running the scan. Offline scans read
//! the name and OS from the mounted root; kernel facts are left out there.

use std::path::Path;

use super::Host;
use crate::report::model::HostInfo;

/// A small text file of the scanned system. Under `--root` it belongs to the image
/// being audited, which may hold a FIFO, a device or a link out of the root in its
/// place: links resolve within the root, only a regular file of at most 64 KiB is read.
fn small_text(host: &Host, path: &str) -> Option<String> {
    let bytes = host.read_file(Path::new(path), 64 << 10).ok()??;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

fn os_release(host: &Host) -> (Option<String>, Option<String>) {
    let text = small_text(host, "/etc/os-release")
        .or_else(|| small_text(host, "/usr/lib/os-release"))
        .unwrap_or_default();
    let mut name = None;
    let mut version = None;
    for line in text.lines() {
        if let Some((k, v)) = line.split_once('=') {
            let v = v.trim().trim_matches('"').to_string();
            match k.trim() {
                "NAME" => name = Some(v),
                "VERSION" => version = Some(v),
                "VERSION_ID" if version.is_none() => version = Some(v),
                _ => {}
            }
        }
    }
    (name, version)
}

pub fn host_info(host: &Host) -> HostInfo {
    let (os_name, os_version) = os_release(host);
    let arch = std::env::consts::ARCH.to_string();
    if !host.is_live() {
        let hostname = small_text(host, "/etc/hostname")
            .map(|s| s.trim().to_string())
            .unwrap_or_default();
        return HostInfo {
            hostname,
            addresses: vec![],
            os_name,
            os_version,
            kernel: None,
            arch,
        };
    }
    let hostname = sysinfo::System::host_name().unwrap_or_default();
    let mut addresses: Vec<String> = match sysinfo::Networks::new_with_refreshed_list() {
        Ok(networks) => (&networks)
            .into_iter()
            .filter(|(name, _)| name.as_os_str() != "lo")
            .flat_map(|(_, data)| {
                data.ip_networks()
                    .iter()
                    .map(|ip| ip.addr.to_string())
                    .collect::<Vec<_>>()
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    addresses.retain(|a| a != "127.0.0.1" && a != "::1" && !a.starts_with("fe80"));
    addresses.sort();
    addresses.dedup();
    HostInfo {
        hostname,
        addresses,
        os_name,
        os_version,
        kernel: sysinfo::System::kernel_version().ok(),
        arch,
    }
}

/// The name of the account running vigil (from the real uid and /etc/passwd of the
/// machine vigil runs on, not of a scanned root).
pub fn current_user() -> String {
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    let name = std::fs::read_to_string("/etc/passwd").ok().and_then(|p| {
        p.lines().find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() > 2 && f[2] == uid.to_string()).then(|| f[0].to_string())
        })
    });
    name.unwrap_or_else(|| format!("uid {uid}"))
}

/// RFC 3339 UTC timestamp of a system time.
pub fn rfc3339(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_known_instants() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(951868810);
        assert_eq!(rfc3339(t), "2000-03-01T00:00:10Z");
        assert_eq!(rfc3339(std::time::UNIX_EPOCH), "1970-01-01T00:00:00Z");
    }
}
