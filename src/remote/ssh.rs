//! Runs commands on a host through the system OpenSSH client, so ~/.ssh/config, agents,
//! ProxyJump, certificates and known_hosts behave as the user already has them. Every
//! command of one host goes through one multiplexed connection (ControlMaster=auto with
//! a socket in vigil's private temporary directory, ControlPersist), so the extra
//! commands of a remote scan cost a round trip each, not a new handshake.

use std::ffi::OsString;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use super::hostspec::HostSpec;
use vigil_core::osutil::read_bounded;

/// How to reach hosts: what the user said on the command line.
#[derive(Debug, Clone)]
pub(crate) struct SshOptions {
    /// The ssh client to run (`ssh` from PATH).
    pub program: PathBuf,
    /// `--ssh-config FILE`, passed as `-F FILE`.
    pub config_file: Option<PathBuf>,
    /// `--ssh-option KEY=VALUE`, passed as `-o KEY=VALUE` before vigil's defaults, so
    /// they override them (ssh keeps the first value it sees).
    pub options: Vec<String>,
    /// Run the remote side under `sudo -n`.
    pub sudo: bool,
    /// Where to create the temporary directory on the host (default `$TMPDIR` or /tmp).
    pub remote_tmpdir: Option<String>,
    /// ControlPersist idle seconds for the master connection.
    pub persist_secs: u32,
    /// `--max-remote-output`: most bytes one remote command may print on stdout. A
    /// compromised host must not be able to exhaust this machine's memory.
    pub max_output: u64,
}

/// Default of `--max-remote-output`, 64 MiB: the largest real result measured, a scan
/// of every SSG Debian 11 rule with `--json`, `--arf`, `--xccdf-results` and
/// `--oval-results`, is 12.0 MB (results 2.75 MB, ARF 5.37 MB, XCCDF results 3.76 MB,
/// OVAL results 0.15 MB; README "Remote scans"), so this leaves five times that for
/// hosts with more items. Reading what a host sends costs this machine about 2.8 times
/// it in memory (`OUTPUTS= benches/remote-output.sh`: 64 MB, 174 MB peak RSS); an
/// `--html` report adds the renderer's memory, as it does for a local scan.
pub(crate) const DEFAULT_MAX_REMOTE_OUTPUT: u64 = 64 << 20;

/// Most bytes of a remote command's stderr kept (for error messages); the rest is read
/// and dropped.
const MAX_STDERR: u64 = 1 << 20;

impl Default for SshOptions {
    fn default() -> Self {
        SshOptions {
            program: PathBuf::from("ssh"),
            config_file: None,
            options: Vec::new(),
            sudo: false,
            remote_tmpdir: None,
            persist_secs: 60,
            max_output: DEFAULT_MAX_REMOTE_OUTPUT,
        }
    }
}

/// Checks a `--ssh-option` value: `KEY=VALUE` with a plain key. The value is the
/// user's business (it may even be a secret, which is why it is never printed).
pub(crate) fn validate_option(opt: &str) -> Result<(), String> {
    let (k, v) = opt
        .split_once('=')
        .ok_or_else(|| "--ssh-option expects KEY=VALUE".to_string())?;
    if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(format!("--ssh-option: {k:?} is not an ssh option name"));
    }
    if v.contains('\n') {
        return Err(format!("--ssh-option {k}: value holds a newline"));
    }
    let forced = ["controlmaster", "controlpath", "controlpersist"];
    if forced.contains(&k.to_ascii_lowercase().as_str()) {
        return Err(format!(
            "--ssh-option {k}: vigil manages the control connection itself"
        ));
    }
    Ok(())
}

/// Quotes a word for a POSIX shell.
pub(crate) fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-=:,+@%".contains(c))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// One host's connection: every [`Session::run`] reuses the control master.
pub(crate) struct Session<'a> {
    opts: &'a SshOptions,
    spec: &'a HostSpec,
    control_path: PathBuf,
}

impl<'a> Session<'a> {
    pub(crate) fn new(opts: &'a SshOptions, spec: &'a HostSpec, control_path: &Path) -> Self {
        Session {
            opts,
            spec,
            control_path: control_path.to_path_buf(),
        }
    }

    /// The ssh arguments before the destination.
    pub(crate) fn args(&self) -> Vec<OsString> {
        let mut a: Vec<OsString> = Vec::new();
        let mut o = |s: String| {
            a.push("-o".into());
            a.push(s.into());
        };
        // Forced: the control connection is ours; never lend the agent or X display
        // to a host being audited.
        o("ControlMaster=auto".into());
        o(format!("ControlPath={}", self.control_path.display()));
        o(format!("ControlPersist={}", self.opts.persist_secs));
        o("ForwardAgent=no".into());
        o("ForwardX11=no".into());
        for opt in &self.opts.options {
            o(opt.clone());
        }
        o("BatchMode=yes".into());
        o("StrictHostKeyChecking=yes".into());
        o("ConnectTimeout=10".into());
        o("ServerAliveInterval=10".into());
        o("ServerAliveCountMax=3".into());
        if let Some(f) = &self.opts.config_file {
            a.push("-F".into());
            a.push(f.into());
        }
        if let Some(p) = self.spec.port {
            a.push("-p".into());
            a.push(p.to_string().into());
        }
        if let Some(i) = &self.spec.identity_file {
            a.push("-i".into());
            a.push(i.into());
        }
        a.push("-T".into());
        a
    }

    /// Runs `script` with `sh -c` on the host (under `sudo -n` with --sudo), feeding it
    /// the bytes of `stdin` (files with their lengths, one after another; the length is
    /// what the remote side was promised, so a file that changed cannot desynchronise
    /// it). Returns ssh's output; exit status 255 is ssh's own failure.
    pub(crate) fn run(&self, script: &str, stdin: &[(File, u64)]) -> std::io::Result<Output> {
        let remote = if self.opts.sudo {
            format!("sudo -n sh -c {}", shell_quote(script))
        } else {
            format!("sh -c {}", shell_quote(script))
        };
        let mut child = Command::new(&self.opts.program)
            .args(self.args())
            .arg("--")
            .arg(self.spec.destination())
            .arg(remote)
            .stdin(if stdin.is_empty() {
                Stdio::null()
            } else {
                Stdio::piped()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let pipe = child.stdin.take();
        let (Some(mut stdout), Some(mut stderr)) = (child.stdout.take(), child.stderr.take())
        else {
            return Err(std::io::Error::other("ssh's output pipes are missing"));
        };
        let limit = self.opts.max_output;
        std::thread::scope(|s| {
            if let Some(mut pipe) = pipe {
                s.spawn(move || {
                    for (f, len) in stdin {
                        // A write error means the remote side is gone: its exit status
                        // says why, so the error itself is not interesting.
                        if std::io::copy(&mut f.take(*len), &mut pipe).is_err() {
                            break;
                        }
                    }
                });
            }
            let errors = s.spawn(move || {
                let mut kept = Vec::new();
                read_bounded(&mut stderr, &mut kept, MAX_STDERR, true).map(|over| (kept, over))
            });
            let mut kept = Vec::new();
            let out = read_bounded(&mut stdout, &mut kept, limit, false).map(|over| (kept, over));
            let over = out.as_ref().map_or(true, |(_, over)| *over);
            if over {
                // Closing the connection hangs up the remote shell, whose trap cleans up.
                let _ = child.kill();
            }
            drop(stdout);
            let err = errors.join().unwrap_or_else(|_| Ok((Vec::new(), false)))?;
            let status = child.wait()?;
            let (stdout, _) = out?;
            if over {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::FileTooLarge,
                    format!(
                        "the host sent more than {limit} bytes of output \
                         (raise the limit with --max-remote-output)"
                    ),
                ));
            }
            Ok(Output {
                status,
                stdout,
                stderr: err.0,
            })
        })
    }

    /// Stops the master connection; harmless when there is none.
    pub(crate) fn close(&self) {
        let _ = Command::new(&self.opts.program)
            .args(self.args())
            .args(["-O", "exit", "--"])
            .arg(self.spec.destination())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_a_real_shell() {
        for s in ["plain", "a b", "it's", "$(id)", "`x`", "", "a\nb", "*"] {
            let out = crate::testtool::tool("sh")
                .arg("-c")
                .arg(format!("printf %s {}", shell_quote(s)))
                .output()
                .unwrap();
            assert_eq!(String::from_utf8(out.stdout).unwrap(), s);
        }
    }

    #[test]
    fn user_options_come_before_defaults_and_control_options_are_refused() {
        let opts = SshOptions {
            options: vec!["StrictHostKeyChecking=accept-new".into()],
            config_file: Some("/etc/x".into()),
            ..Default::default()
        };
        let spec = HostSpec::parse("u@h:2022").unwrap();
        let s = Session::new(&opts, &spec, Path::new("/tmp/c/0"));
        let a: Vec<String> = s
            .args()
            .iter()
            .map(|x| x.to_string_lossy().into())
            .collect();
        let user = a
            .iter()
            .position(|x| x == "StrictHostKeyChecking=accept-new");
        let dflt = a.iter().position(|x| x == "StrictHostKeyChecking=yes");
        assert!(user.unwrap() < dflt.unwrap());
        assert!(a.windows(2).any(|w| w == ["-p", "2022"]));
        assert!(a.windows(2).any(|w| w == ["-F", "/etc/x"]));
        assert!(validate_option("ControlPath=/x").is_err());
        assert!(validate_option("Bad Key=1").is_err());
        assert!(validate_option("NoEquals").is_err());
        assert!(validate_option("IdentityFile=/k").is_ok());
    }
}
