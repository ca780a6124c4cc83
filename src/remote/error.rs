//! Errors of a remote scan, one per way a host can fail, so the fleet summary can say
//! what went wrong on each host without a log. ssh reports every transport failure as
//! exit status 255; [`classify_ssh_failure`] turns its stderr into the right variant.
//!
//! Messages carry ssh's own diagnostic line (key paths and host names are fine there),
//! never the command line we ran (a user's `-o` could hold a secret) and never the
//! agent socket path: see [`sanitize_detail`].

use thiserror::Error;

/// Which step of the remote scan was running when something failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    Connect,
    /// Upload and scan (one round trip).
    Scan,
    Cleanup,
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stage::Connect => "connect",
            Stage::Scan => "scan",
            Stage::Cleanup => "cleanup",
        })
    }
}

#[derive(Debug, Error)]
pub(crate) enum RemoteError {
    #[error("host unreachable: {detail}")]
    Unreachable { detail: String },
    #[error("host key verification failed: {detail}")]
    HostKey { detail: String },
    #[error("authentication failed: {detail}")]
    Auth { detail: String },
    #[error("connection lost during {stage}: {detail}")]
    ConnectionLost { stage: Stage, detail: String },
    #[error("ssh failed during {stage}: {detail}")]
    Ssh { stage: Stage, detail: String },
    #[error("sudo failed (sudo -n needs passwordless sudo for this user): {detail}")]
    Sudo { detail: String },
    #[error(
        "architecture mismatch: this vigil is built for {local}, the host is {remote}; \
         run a vigil built for {remote}"
    )]
    ArchMismatch { local: String, remote: String },
    #[error("no writable temporary directory on the host: {detail}")]
    NoTempDir { detail: String },
    #[error("copying {file} to the host failed: {detail}")]
    Upload { file: String, detail: String },
    #[error(
        "the copied vigil binary could not be executed (exit {code}; is the temporary \
         directory mounted noexec? try --remote-tmpdir): {detail}"
    )]
    Exec { code: i32, detail: String },
    #[error("the remote scan could not run (exit {code}): {detail}")]
    ScanFailed { code: i32, detail: String },
    #[error("the remote scan printed no valid results document: {detail}")]
    BadOutput { detail: String },
    #[error("{detail}")]
    Local { detail: String },
}

impl RemoteError {
    /// A stable word for the fleet summary JSON.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            RemoteError::Unreachable { .. } => "unreachable",
            RemoteError::HostKey { .. } => "host_key",
            RemoteError::Auth { .. } => "auth",
            RemoteError::ConnectionLost { .. } => "connection_lost",
            RemoteError::Ssh { .. } => "ssh",
            RemoteError::Sudo { .. } => "sudo",
            RemoteError::ArchMismatch { .. } => "arch_mismatch",
            RemoteError::NoTempDir { .. } => "no_temp_dir",
            RemoteError::Upload { .. } => "upload",
            RemoteError::Exec { .. } => "exec",
            RemoteError::ScanFailed { .. } => "scan_failed",
            RemoteError::BadOutput { .. } => "bad_output",
            RemoteError::Local { .. } => "local",
        }
    }
}

/// Lines ssh prints that say nothing about the failure.
fn is_noise(line: &str) -> bool {
    let l = line.trim();
    l.is_empty()
        || l.starts_with("@@@")
        || l.starts_with("Warning: Permanently added")
        || l.starts_with("IT IS POSSIBLE")
        || l.starts_with("Someone could be")
        || l.starts_with("It is also possible")
        || l.starts_with("Please contact")
        || l.starts_with("remove with:")
        || l.starts_with("ssh-keygen -f")
        || l.starts_with("** ")
}

/// The informative part of ssh's (or the remote command's) stderr, on one line, with the
/// agent socket path removed and the length bounded.
pub(crate) fn sanitize_detail(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let mut lines: Vec<&str> = text.lines().filter(|l| !is_noise(l)).collect();
    // The last lines are the conclusion (ssh prints the verdict last).
    if lines.len() > 3 {
        lines.drain(..lines.len() - 3);
    }
    let mut out = lines.join(" | ");
    if let Some(sock) = std::env::var_os("SSH_AUTH_SOCK") {
        let sock = sock.to_string_lossy();
        if !sock.is_empty() {
            out = out.replace(sock.as_ref(), "<agent socket>");
        }
    }
    if out.chars().count() > 400 {
        out = out.chars().take(400).collect::<String>() + "...";
    }
    if out.is_empty() {
        out = "no diagnostic from ssh".to_string();
    }
    out
}

/// Classifies an ssh exit status 255 (ssh's own failure, not the remote command's).
/// `stage` tells a drop during the scan from a failure to connect: through a control
/// master, a dropped connection often leaves no message at all.
pub(crate) fn classify_ssh_failure(stage: Stage, stderr: &[u8]) -> RemoteError {
    let text = String::from_utf8_lossy(stderr);
    let detail = sanitize_detail(stderr);
    let has = |s: &str| text.contains(s);
    if has("Host key verification failed")
        || has("REMOTE HOST IDENTIFICATION HAS CHANGED")
        || has("host key is known")
        || has("Host key for")
    {
        RemoteError::HostKey { detail }
    } else if has("Permission denied (") || has("Too many authentication failures") {
        RemoteError::Auth { detail }
    } else if has("Could not resolve hostname")
        || has("Connection refused")
        || has("No route to host")
        || has("Network is unreachable")
        || has("Connection timed out")
        || has("Operation timed out")
    {
        if stage == Stage::Connect {
            RemoteError::Unreachable { detail }
        } else {
            RemoteError::ConnectionLost { stage, detail }
        }
    } else if has("closed by remote host")
        || has("Connection reset")
        || has("Broken pipe")
        || has("Timeout, server")
        || has("Connection closed")
        || has("mux_client")
        || has("client_loop")
        || stage != Stage::Connect
    {
        RemoteError::ConnectionLost { stage, detail }
    } else {
        RemoteError::Ssh { stage, detail }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_host_key_is_host_key_with_the_verdict_line() {
        let stderr = b"@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n\
@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n\
@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n\
IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\n\
Host key for [127.0.0.1]:22901 has changed and you have requested strict checking.\n\
Host key verification failed.\n";
        let e = classify_ssh_failure(Stage::Connect, stderr);
        assert_eq!(e.kind(), "host_key");
        assert!(
            e.to_string().ends_with("Host key verification failed."),
            "{e}"
        );
        assert!(!e.to_string().contains("@@@"));
    }

    #[test]
    fn refused_while_connecting_is_unreachable_but_later_is_a_lost_connection() {
        let s = b"ssh: connect to host 127.0.0.1 port 1: Connection refused\n";
        assert_eq!(
            classify_ssh_failure(Stage::Connect, s).kind(),
            "unreachable"
        );
        assert_eq!(
            classify_ssh_failure(Stage::Cleanup, s).kind(),
            "connection_lost"
        );
        assert_eq!(
            classify_ssh_failure(Stage::Scan, b"").kind(),
            "connection_lost"
        );
        assert_eq!(classify_ssh_failure(Stage::Connect, b"weird").kind(), "ssh");
    }

    #[test]
    fn permission_denied_is_auth() {
        let s = b"root@127.0.0.1: Permission denied (publickey).\n";
        assert_eq!(classify_ssh_failure(Stage::Connect, s).kind(), "auth");
    }

    #[test]
    fn detail_is_bounded_to_the_last_lines() {
        let mut s = String::new();
        for i in 0..50 {
            s.push_str(&format!("line {i}\n"));
        }
        let d = sanitize_detail(s.as_bytes());
        assert_eq!(d, "line 47 | line 48 | line 49");
    }
}
