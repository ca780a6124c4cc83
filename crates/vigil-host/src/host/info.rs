//! Facts about the scanned host for the results document: name, addresses, operating
//! system, kernel, architecture, and the account running the scan. Offline scans read
//! the name and OS from the mounted root; kernel facts are left out there.

use std::path::Path;

use super::Host;
use vigil_core::model::HostInfo;

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

/// The host part of a results document: host name, addresses, os-release name and
/// version, kernel and architecture. Offline, the name comes from the root's
/// `/etc/hostname` and there are no addresses or kernel.
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

/// RFC 3339 UTC timestamp of a system time.
pub fn rfc3339(t: std::time::SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
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
