//! Remote and fleet scans against real sshd instances on 127.0.0.1: each test starts its
//! own sshd processes (foreground, private config, generated host and user keys, free
//! ports) and runs the vigil binary with `--remote-subcommand remote-selftest`, the
//! transport stand-in for `vigil scan`. The host's temporary directory is a directory of
//! the test (`--remote-tmpdir`), so "nothing left behind" is checked exactly.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const VIGIL: &str = env!("CARGO_BIN_EXE_vigil");

fn keygen(path: &Path) {
    let st = crate::tool("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path)
        .status()
        .unwrap();
    assert!(st.success());
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One test's world: keys, known_hosts, the "remote" temp dir, the sshd instances.
pub(crate) struct Lab {
    dir: tempfile::TempDir,
    sshds: Vec<Sshd>,
}

struct Sshd {
    port: u16,
    child: Child,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Lab {
    pub(crate) fn new() -> Lab {
        // sshd's privilege separation directory is compiled in.
        std::fs::create_dir_all("/run/sshd").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        keygen(&p.join("hostkey"));
        keygen(&p.join("otherkey"));
        keygen(&p.join("userkey"));
        std::fs::copy(p.join("userkey.pub"), p.join("authorized_keys")).unwrap();
        std::fs::write(p.join("known_hosts"), "").unwrap();
        std::fs::create_dir(p.join("remote-tmp")).unwrap();
        Lab {
            dir,
            sshds: Vec::new(),
        }
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Starts an sshd; `known` says which key known_hosts lists for it (its own host
    /// key, or another key to provoke a host key mismatch).
    pub(crate) fn sshd(&mut self, extra: &str, known: &str) -> u16 {
        let port = free_port();
        let p = self.dir.path();
        let cfg = p.join(format!("sshd_config.{port}"));
        std::fs::write(
            &cfg,
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {hk}\nPidFile {pid}\n\
                 {ak}StrictModes no\nUsePAM no\nPermitRootLogin yes\n\
                 PasswordAuthentication no\nKbdInteractiveAuthentication no\n\
                 MaxSessions 50\nMaxStartups 100\n{extra}\n",
                hk = p.join("hostkey").display(),
                pid = p.join(format!("sshd.{port}.pid")).display(),
                // sshd keeps the first value of an option: a test's own wins.
                ak = if extra.contains("AuthorizedKeysFile") {
                    String::new()
                } else {
                    format!(
                        "AuthorizedKeysFile {}\n",
                        p.join("authorized_keys").display()
                    )
                },
            ),
        )
        .unwrap();
        let child = crate::tool("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(&cfg)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(p.join(format!("sshd.{port}.log"))).unwrap())
            .spawn()
            .unwrap();
        let key = std::fs::read_to_string(p.join(format!("{known}.pub"))).unwrap();
        let mut kh = std::fs::read_to_string(p.join("known_hosts")).unwrap();
        kh.push_str(&format!("[127.0.0.1]:{port} {key}"));
        std::fs::write(p.join("known_hosts"), kh).unwrap();
        let t = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                t.elapsed() < Duration::from_secs(10),
                "sshd on {port} did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        self.sshds.push(Sshd { port, child });
        port
    }

    fn sshd_pid(&self, port: u16) -> u32 {
        self.sshds
            .iter()
            .find(|s| s.port == port)
            .unwrap()
            .child
            .id()
    }

    pub(crate) fn plan(&self, text: &str) -> PathBuf {
        let p = self.path("plan.xml");
        std::fs::write(&p, text).unwrap();
        p
    }

    /// `vigil scan PLAN --remote-subcommand remote-selftest ...` with the lab's keys.
    pub(crate) fn vigil(&self, plan: &Path, args: &[&str]) -> Command {
        let mut c = self.vigil_own_tmp(plan, &[]);
        c.arg("--remote-tmpdir")
            .arg(self.path("remote-tmp"))
            .args(args);
        c
    }

    pub(crate) fn vigil_own_tmp(&self, plan: &Path, args: &[&str]) -> Command {
        let mut c = self.ssh_scan(plan);
        c.args(["--remote-subcommand", "remote-selftest"])
            .args(args);
        c
    }

    /// `vigil scan CONTENT` with the lab's known hosts and user key.
    pub(crate) fn ssh_scan(&self, content: &Path) -> Command {
        let mut c = Command::new(VIGIL);
        c.arg("scan")
            .arg(content)
            .arg("--ssh-option")
            .arg(format!(
                "UserKnownHostsFile={}",
                self.path("known_hosts").display()
            ))
            .arg("--ssh-option")
            .arg(format!("IdentityFile={}", self.path("userkey").display()))
            .args(["--ssh-option", "IdentitiesOnly=yes"]);
        c
    }

    /// The real `vigil scan CONTENT` over ssh, into the lab's remote temporary directory.
    pub(crate) fn real_scan(&self, content: &Path) -> Command {
        let mut c = self.ssh_scan(content);
        c.arg("--remote-tmpdir").arg(self.path("remote-tmp"));
        c
    }

    pub(crate) fn leftovers(&self) -> Vec<String> {
        std::fs::read_dir(self.path("remote-tmp"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }
}

pub(crate) fn host(port: u16) -> String {
    format!("root@127.0.0.1:{port}")
}

pub(crate) fn summary(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("fleet-summary.json")).unwrap()).unwrap()
}

pub(crate) fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn fleet_scan_reports_each_host_and_matches_a_local_run() {
    let mut lab = Lab::new();
    let a = lab.sshd("", "hostkey");
    let b = lab.sshd("", "hostkey");
    // This host's sessions carry the variable the plan forbids: a real failing rule.
    let c = lab.sshd("SetEnv VIGIL_SELFTEST_MARK=1", "hostkey");
    let plan = lab.plan("file /etc/passwd\nnoenv VIGIL_SELFTEST_MARK\n");
    let out_dir = lab.path("fleet");
    let out = lab
        .vigil(&plan, &["--profile", "p1", "-j", "3", "--fleet-out"])
        .arg(&out_dir)
        .args(["--host", &host(a), "--host", &host(b), "--host", &host(c)])
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    let s = summary(&out_dir);
    let statuses: Vec<&str> = s["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["pass", "pass", "fail"], "{s}");
    assert_eq!(s["hosts"][2]["failing_rules"][0], "selftest_env_unset_1");
    assert!(all.contains("3 hosts: 2 pass, 1 fail, 0 error"), "{all}");

    // The per-host document is what the remote vigil printed: the settings came as
    // one serialised scan specification, not as flags spelled again.
    let doc: Value = serde_json::from_slice(
        &std::fs::read(out_dir.join(format!("root@127.0.0.1_{a}.json"))).unwrap(),
    )
    .unwrap();
    let args = doc["scan"]["args"].as_array().unwrap();
    assert_eq!(args.len(), 4, "{args:?}");
    assert_eq!(args[0], "--spec");
    assert!(args[1].as_str().unwrap().ends_with("/scan-spec.json"));
    assert_eq!(
        args[2..],
        [serde_json::json!("--json"), serde_json::json!("-")]
    );
    assert_eq!(doc["scan"]["spec"]["selection"]["profile"], "p1");
    assert_eq!(doc["scan"]["profile"]["id"], "p1");
    // Same rules and results as running the same thing locally.
    let local = Command::new(VIGIL)
        .args(["remote-selftest"])
        .arg(&plan)
        .output()
        .unwrap();
    let local: Value = serde_json::from_slice(&local.stdout).unwrap();
    assert_eq!(doc["rules"], local["rules"]);
    assert!(lab.leftovers().is_empty(), "{:?}", lab.leftovers());
}

#[test]
fn unreachable_wrong_key_and_denied_hosts_fail_alone_without_leaking_credentials() {
    let mut lab = Lab::new();
    let good = lab.sshd("", "hostkey");
    let wrong_key = lab.sshd("", "otherkey");
    let denied = lab.sshd(
        &format!("AuthorizedKeysFile {}", lab.path("nobody_keys").display()),
        "hostkey",
    );
    let closed = free_port();
    let plan = lab.plan("file /etc/passwd\n");
    let out_dir = lab.path("fleet");
    let agent_marker = lab.path("agent-marker-4f7c.sock");
    let out = lab
        .vigil(&plan, &["-j", "4", "--fleet-out"])
        .arg(&out_dir)
        .args(["--host", &host(good), "--host", &host(wrong_key)])
        .args(["--host", &host(denied), "--host", &host(closed)])
        .env("SSH_AUTH_SOCK", &agent_marker)
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    let s = summary(&out_dir);
    let kinds: Vec<&str> = s["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            h["error"]["kind"]
                .as_str()
                .unwrap_or(h["status"].as_str().unwrap())
        })
        .collect();
    assert_eq!(kinds, ["pass", "host_key", "auth", "unreachable"], "{s}");
    assert!(all.contains(&format!(
        "root@127.0.0.1:{denied}: error: authentication failed"
    )));
    assert!(all.contains("Connection refused"), "{all}");

    // No private key material or agent socket in anything vigil printed or wrote.
    let key = std::fs::read_to_string(lab.path("userkey")).unwrap();
    let key_body = key.lines().nth(1).unwrap();
    let mut everything = all.clone();
    for f in std::fs::read_dir(&out_dir).unwrap() {
        everything.push_str(&std::fs::read_to_string(f.unwrap().path()).unwrap());
    }
    assert!(!everything.contains(key_body));
    assert!(!everything.contains("agent-marker-4f7c"));
    assert!(lab.leftovers().is_empty(), "{:?}", lab.leftovers());
}

fn children(pid: u32) -> Vec<u32> {
    let out = crate::tool("pgrep")
        .args(["-P", &pid.to_string()])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect()
}

fn parent(pid: u32) -> Option<u32> {
    let out = crate::tool("ps")
        .args(["-o", "ppid=", "-p", &pid.to_string()])
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

/// Waits until the remote selftest is running (the scan step has started) in a
/// session of the sshd `ancestor`.
fn wait_for_remote_scan(lab: &Lab, ancestor: u32) {
    let pattern = format!(
        "{}/vigil.*/vigil remote-selftest",
        lab.path("remote-tmp").display()
    );
    let t = Instant::now();
    loop {
        let out = crate::tool("pgrep")
            .args(["-f", &pattern])
            .output()
            .unwrap();
        for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
            let mut p = pid.parse::<u32>().ok();
            while let Some(q) = p.filter(|q| *q > 1) {
                if q == ancestor {
                    return;
                }
                p = parent(q);
            }
        }
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "remote scan never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn connection_cut_mid_scan_is_reported_and_cleaned_up_by_a_new_connection() {
    let mut lab = Lab::new();
    let port = lab.sshd("", "hostkey");
    let other = lab.sshd("", "hostkey");
    let plan = lab.plan("sleep 2500\nfile /etc/passwd\n");
    let out_dir = lab.path("fleet");
    let child = lab
        .vigil(&plan, &["-j", "2", "--fleet-out"])
        .arg(&out_dir)
        .args(["--host", &host(port), "--host", &host(other)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_remote_scan(&lab, lab.sshd_pid(port));
    // Kill the session processes of one sshd (its listener stays up).
    let sessions = children(lab.sshd_pid(port));
    assert!(!sessions.is_empty());
    for p in sessions {
        unsafe { libc::kill(p as i32, libc::SIGKILL) };
    }
    let out = child.wait_with_output().unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    let s = summary(&out_dir);
    assert_eq!(s["hosts"][0]["error"]["kind"], "connection_lost", "{s}");
    assert!(
        s["hosts"][0]["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("connection lost during scan"),
        "{s}"
    );
    assert_eq!(s["hosts"][1]["status"], "pass", "{s}");
    // Removed by the separate cleanup command over a new connection (or by the trap,
    // if the orphaned remote process woke up first).
    assert!(lab.leftovers().is_empty(), "{:?}", lab.leftovers());
}

#[test]
fn when_the_whole_sshd_dies_mid_scan_the_remote_trap_still_cleans_up() {
    let mut lab = Lab::new();
    let port = lab.sshd("", "hostkey");
    let plan = lab.plan("sleep 1500\nfile /etc/passwd\n");
    let child = lab
        .vigil(&plan, &["--host", &host(port)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_remote_scan(&lab, lab.sshd_pid(port));
    let pid = lab.sshd_pid(port);
    let sessions = children(pid);
    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    for p in sessions {
        unsafe { libc::kill(p as i32, libc::SIGKILL) };
    }
    let out = child.wait_with_output().unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("connection lost during scan"), "{all}");
    // No connection is possible for the separate cleanup; the remote shell's trap runs
    // once the orphaned scan finds its stdout gone.
    let t = Instant::now();
    while !lab.leftovers().is_empty() {
        assert!(
            t.elapsed() < Duration::from_secs(15),
            "left behind: {:?}",
            lab.leftovers()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn no_writable_temporary_directory_is_a_clear_host_error() {
    let mut lab = Lab::new();
    let port = lab.sshd("", "hostkey");
    let plan = lab.plan("file /etc/passwd\n");
    let out = lab
        .vigil_own_tmp(&plan, &["--host", &host(port)])
        .arg("--remote-tmpdir")
        .arg(lab.path("plan.xml/not-a-dir"))
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("no writable temporary directory on the host: mktemp"),
        "{all}"
    );
}

#[test]
fn a_scan_that_cannot_run_or_prints_garbage_leaves_nothing_behind() {
    let mut lab = Lab::new();
    let port = lab.sshd("", "hostkey");
    let plan = lab.plan("exit 1\n");
    let out = lab.vigil(&plan, &["--host", &host(port)]).output().unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains(
            "the remote scan could not run (exit 1): vigil: selftest plan asked to exit 1"
        ),
        "{all}"
    );
    assert!(lab.leftovers().is_empty(), "{:?}", lab.leftovers());

    let plan = lab.plan("garbage\n");
    let out = lab.vigil(&plan, &["--host", &host(port)]).output().unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("printed no valid results document"), "{all}");
    assert!(lab.leftovers().is_empty(), "{:?}", lab.leftovers());

    // A host that sends more than --max-remote-output is cut off and named; within the
    // limit the same amount is read (here: 20 MB of spaces before the document).
    let plan = lab.plan(
        "flood 20000000
file /
",
    );
    let out = lab
        .vigil(
            &plan,
            &["--host", &host(port), "--max-remote-output", "5000000"],
        )
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("the host sent more than 5000000 bytes of output (raise the limit with --max-remote-output)"),
        "{all}"
    );
    let out = lab.vigil(&plan, &["--host", &host(port)]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !lab.leftovers().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(lab.leftovers().is_empty(), "{:?}", lab.leftovers());
}

#[test]
fn architecture_mismatch_is_refused_before_copying() {
    let mut lab = Lab::new();
    let fake = lab.path("fakebin");
    std::fs::create_dir(&fake).unwrap();
    std::fs::write(fake.join("uname"), "#!/bin/sh\necho 'Linux sparc64'\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(fake.join("uname"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let port = lab.sshd(
        &format!("SetEnv PATH={}:/usr/bin:/bin", fake.display()),
        "hostkey",
    );
    let plan = lab.plan("file /etc/passwd\n");
    let out = lab.vigil(&plan, &["--host", &host(port)]).output().unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains(&format!(
            "architecture mismatch: this vigil is built for linux {}, the host is linux sparc64",
            std::env::consts::ARCH
        )),
        "{all}"
    );
    assert!(lab.leftovers().is_empty(), "{:?}", lab.leftovers());
}

#[test]
fn ansible_inventory_drives_the_fleet_and_single_host_json_goes_to_stdout() {
    let mut lab = Lab::new();
    let a = lab.sshd("", "hostkey");
    let b = lab.sshd("", "hostkey");
    let inv = lab.path("inventory.ini");
    std::fs::write(
        &inv,
        format!(
            "[web]\nweb1 ansible_host=127.0.0.1 ansible_port={a}\n\
             [db]\ndb1 ansible_host=127.0.0.1 ansible_port={b}\n[all:vars]\nansible_user=root\n"
        ),
    )
    .unwrap();
    let plan = lab.plan("file /etc/passwd\n");
    let out_dir = lab.path("fleet");
    let out = lab
        .vigil(&plan, &["--fleet-out"])
        .arg(&out_dir)
        .arg("--hosts")
        .arg(&inv)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(out_dir.join("web1.json").is_file());
    assert!(out_dir.join("db1.json").is_file());

    let out = lab
        .vigil(&plan, &["--json", "-", "--host", &host(a)])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["rules"][0]["result"], "pass");
}

/// sudo is not installed on the test machine: a stand-in on the host's PATH checks
/// that every remote step goes through `sudo -n sh -c`, and a refusing one that the
/// refusal is reported as such.
#[test]
fn sudo_wraps_every_remote_step_and_a_refusal_is_named() {
    use std::os::unix::fs::PermissionsExt;
    let mut lab = Lab::new();
    let log = lab.path("sudo.log");
    for (dir, body) in [
        (
            "okbin",
            format!(
                "#!/bin/sh\n[ \"$1\" = -n ] || exit 99\nshift\necho \"$1 $2\" >> {}\nexec \"$@\"\n",
                log.display()
            ),
        ),
        (
            "nobin",
            "#!/bin/sh\necho 'sudo: a password is required' >&2\nexit 1\n".to_string(),
        ),
    ] {
        let d = lab.path(dir);
        std::fs::create_dir(&d).unwrap();
        std::fs::write(d.join("sudo"), body).unwrap();
        std::fs::set_permissions(d.join("sudo"), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let ok = lab.sshd(
        &format!("SetEnv PATH={}:/usr/bin:/bin", lab.path("okbin").display()),
        "hostkey",
    );
    let no = lab.sshd(
        &format!("SetEnv PATH={}:/usr/bin:/bin", lab.path("nobin").display()),
        "hostkey",
    );
    let plan = lab.plan("file /etc/passwd\n");
    let out_dir = lab.path("fleet");
    let out = lab
        .vigil(&plan, &["--sudo", "--fleet-out"])
        .arg(&out_dir)
        .args(["--host", &host(ok), "--host", &host(no)])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let s = summary(&out_dir);
    assert_eq!(s["hosts"][0]["status"], "pass", "{s}");
    assert_eq!(s["hosts"][1]["error"]["kind"], "sudo", "{s}");
    assert!(
        s["hosts"][1]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("sudo: a password is required")
    );
    // mktemp, upload+scan, cleanup: three steps, all under sudo -n sh -c.
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "sh -c\n".repeat(3),);
    assert!(lab.leftovers().is_empty(), "{:?}", lab.leftovers());
}

/// The real `vigil scan` over ssh (no stand-in): same definitions and results as the
/// local scan of this host, and the remote temporary directory is left empty.
#[test]
fn real_remote_scan_equals_the_local_scan() {
    let mut lab = Lab::new();
    let port = lab.sshd("", "hostkey");
    let content = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/oval/engine.xml"
    );
    let out = lab
        .real_scan(Path::new(content))
        .args(["--host", &host(port), "--json", "-", "--quiet", "--html"])
        .arg(lab.path("remote.html"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let html = std::fs::read_to_string(lab.path("remote.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("oval:t:def:90"));
    let remote: Value = serde_json::from_slice(&out.stdout).unwrap();
    let local = Command::new(VIGIL)
        .args(["scan", content, "--json", "-", "--quiet"])
        .output()
        .unwrap();
    let local: Value = serde_json::from_slice(&local.stdout).unwrap();
    let results = |d: &Value| -> Vec<(String, String)> {
        d["definitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| (x["id"].to_string(), x["result"].to_string()))
            .collect()
    };
    assert!(results(&remote).len() > 40);
    assert_eq!(results(&remote), results(&local));
    assert_eq!(
        std::fs::read_dir(lab.path("remote-tmp")).unwrap().count(),
        0,
        "nothing left on the target"
    );

    // A fleet gets one HTML report per scanned host in the --html directory; a host
    // that cannot be reached has none.
    let closed = free_port();
    let out = lab
        .real_scan(Path::new(content))
        .args(["--host", &host(port), "--host", &host(port)])
        .args(["--host", &host(closed), "--quiet", "--html"])
        .arg(lab.path("fleet-html"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let mut html: Vec<String> = std::fs::read_dir(lab.path("fleet-html"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    html.sort();
    assert_eq!(html.len(), 2, "{html:?}");
    for name in &html {
        assert!(name.contains(&port.to_string()), "{html:?}");
        let page = std::fs::read_to_string(lab.path("fleet-html").join(name)).unwrap();
        assert!(page.contains("oval:t:def:90"), "{name}");
    }
}

/// `--arf`, `--xccdf-results` and `--oval-results` for a remote scan: the host writes
/// them beside its copy of the content and they come back with the JSON, so they carry
/// every item as a local scan's do. They validate with oscap, their rule results are the
/// JSON's, and a fleet gets one file per host.
#[test]
fn remote_scap_results_come_back_valid_for_one_host_and_per_host_for_a_fleet() {
    let mut lab = Lab::new();
    let port = lab.sshd("", "hostkey");
    let ds = Path::new("/usr/share/xml/scap/ssg/content/ssg-debian11-ds.xml");
    crate::testtool::require(ds.to_str().unwrap());
    let oval_dir = lab.path("oval");
    std::fs::create_dir(&oval_dir).unwrap();
    let out = lab
        .real_scan(ds)
        .args(["--host", &host(port), "--quiet", "--json"])
        .arg(lab.path("r.json"))
        .arg("--arf")
        .arg(lab.path("r.arf.xml"))
        .arg("--xccdf-results")
        .arg(lab.path("r.xccdf.xml"))
        .arg("--oval-results")
        .arg(&oval_dir)
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 2)), "{}", text(&out));
    let oscap = |args: &[&str], file: &Path| {
        let o = crate::tool("oscap").args(args).arg(file).output().unwrap();
        assert!(
            o.status.success(),
            "oscap {args:?} {}: {}",
            file.display(),
            text(&o)
        );
    };
    oscap(&["ds", "rds-validate"], &lab.path("r.arf.xml"));
    oscap(&["xccdf", "validate"], &lab.path("r.xccdf.xml"));
    for doc in ["ssg-debian11-oval.xml", "ssg-debian11-cpe-oval.xml"] {
        oscap(
            &["oval", "validate", "--results"],
            &oval_dir.join(format!("{doc}.result.xml")),
        );
    }
    // The rule results in the XCCDF results file are the JSON's.
    let json: Value = serde_json::from_slice(&std::fs::read(lab.path("r.json")).unwrap()).unwrap();
    let xccdf = std::fs::read_to_string(lab.path("r.xccdf.xml")).unwrap();
    let rules = json["rules"].as_array().unwrap();
    assert!(rules.len() > 100);
    for r in rules.iter().filter(|r| r["result"] != "notselected") {
        let id = r["id"].as_str().unwrap();
        let at = xccdf
            .find(&format!("idref=\"{id}\""))
            .unwrap_or_else(|| panic!("{id} missing from the XCCDF results"));
        let result = &xccdf[at..][xccdf[at..].find("<result>").unwrap() + 8..];
        assert_eq!(
            &result[..result.find('<').unwrap()],
            r["result"].as_str().unwrap(),
            "{id}"
        );
    }
    // Several OVAL documents cannot go to one file; the error names the way out.
    let out = lab
        .real_scan(ds)
        .args(["--host", &host(port), "--quiet", "--oval-results"])
        .arg(lab.path("one.xml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("give an existing directory"),
        "{}",
        text(&out)
    );

    // A fleet: one ARF per scanned host, none for the host that could not be reached.
    let closed = free_port();
    let out = lab
        .real_scan(ds)
        .args(["--host", &host(port), "--host", &host(port)])
        .args(["--host", &host(closed), "--quiet", "--arf"])
        .arg(lab.path("fleet-arf"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let mut arfs: Vec<PathBuf> = std::fs::read_dir(lab.path("fleet-arf"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    arfs.sort();
    assert_eq!(arfs.len(), 2, "{arfs:?}");
    for arf in &arfs {
        let name = arf.file_name().unwrap().to_string_lossy();
        assert!(
            name.ends_with(".arf.xml") && name.contains(&port.to_string()),
            "{name}"
        );
        oscap(&["ds", "rds-validate"], arf);
    }
    assert!(lab.leftovers().is_empty(), "{:?}", lab.leftovers());
}

/// A standalone benchmark reads its OVAL files and CPE dictionary from beside it: a
/// remote scan copies them too, so every rule of the split SSG content gets the result
/// the local scan gives (none is an error for an OVAL file the host lacks).
#[test]
fn remote_scan_of_a_split_benchmark_brings_its_oval_files_and_equals_the_local_scan() {
    let mut lab = Lab::new();
    let port = lab.sshd("", "hostkey");
    let ssg = lab.path("ssg");
    std::fs::create_dir(&ssg).unwrap();
    let src = Path::new("/usr/share/xml/scap/ssg/content");
    crate::testtool::require("/usr/share/xml/scap/ssg/content/ssg-debian11-xccdf.xml");
    for part in ["xccdf", "oval", "ocil", "cpe-dictionary", "cpe-oval"] {
        let name = format!("ssg-debian11-{part}.xml");
        let text = std::fs::read_to_string(src.join(&name)).unwrap();
        // Applicable to this host whatever its Debian release.
        let text = text.replace(
            r#"<xccdf-1.2:platform idref="cpe:/o:debian:debian_linux:11"/>"#,
            "",
        );
        std::fs::write(ssg.join(name), text).unwrap();
    }
    let xccdf = ssg.join("ssg-debian11-xccdf.xml");
    let out = lab
        .real_scan(&xccdf)
        .args([
            "--host",
            &host(port),
            "--profile",
            "all",
            "--quiet",
            "--json",
            "-",
        ])
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 2)), "{}", text(&out));
    let remote: Value = serde_json::from_slice(&out.stdout).unwrap();
    let local = Command::new(VIGIL)
        .arg("scan")
        .arg(&xccdf)
        .args(["--profile", "all", "--quiet", "--json", "-"])
        .output()
        .unwrap();
    let local: Value = serde_json::from_slice(&local.stdout).unwrap();
    let results = |d: &Value| -> Vec<(String, String)> {
        d["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["id"].to_string(), r["result"].to_string()))
            .collect()
    };
    let remote_results = results(&remote);
    assert!(remote_results.len() > 300);
    // Equal to the local scan rule for rule: without its OVAL files the remote scan
    // would be `error` everywhere. (Some rules may be `error` in both, e.g. systemd
    // services on a machine where systemd is not running, as oscap reports them.)
    let local_results = results(&local);
    let differ: Vec<String> = remote_results
        .iter()
        .zip(&local_results)
        .filter(|(a, b)| a != b)
        .map(|((id, r), (_, l))| format!("{id}: remote {r}, local {l}"))
        .collect();
    assert_eq!(remote_results.len(), local_results.len());
    assert!(differ.is_empty(), "{}", differ.join("\n"));

    // A benchmark that reads an OVAL file from elsewhere is refused before any host
    // is contacted, with the file named.
    let sub = lab.path("elsewhere");
    std::fs::create_dir(&sub).unwrap();
    let moved = std::fs::read_to_string(&xccdf).unwrap().replace(
        "href=\"ssg-debian11-oval.xml\"",
        "href=\"../ssg/ssg-debian11-oval.xml\"",
    );
    std::fs::write(sub.join("b-xccdf.xml"), moved).unwrap();
    let out = lab
        .real_scan(&sub.join("b-xccdf.xml"))
        .args(["--host", &host(port), "--quiet"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("\"../ssg/ssg-debian11-oval.xml\" from another directory"),
        "{}",
        text(&out)
    );
    assert!(lab.leftovers().is_empty(), "{:?}", lab.leftovers());
}

/// `--history` for remote scans: one host's results go into the history given, a
/// fleet's into one chain per host (`DIR/<host>/`), so each host is compared with its
/// own previous scan; every chain verifies.
#[test]
fn remote_scans_are_recorded_in_history_one_chain_per_host() {
    let mut lab = Lab::new();
    let port = lab.sshd("", "hostkey");
    let content = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/oval/engine.xml"
    ));
    let history = lab.path("history");
    for _ in 0..2 {
        let out = lab
            .real_scan(content)
            .args(["--host", &host(port), "--quiet", "--history"])
            .arg(&history)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        // --quiet: nothing but errors, and there were none.
        assert!(
            out.stdout.is_empty() && out.stderr.is_empty(),
            "{}",
            text(&out)
        );
    }
    let list = |dir: &Path| -> Vec<Value> {
        let out = Command::new(VIGIL)
            .args(["history", "list", "--json"])
            .arg(dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let verify = |dir: &Path| {
        let out = Command::new(VIGIL)
            .args(["history", "verify"])
            .arg(dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
    };
    assert_eq!(list(&history).len(), 2);
    verify(&history);

    let fleet = lab.path("fleet-history");
    let out = lab
        .real_scan(content)
        .args([
            "--host",
            &host(port),
            "--host",
            &host(port),
            "--quiet",
            "--history",
        ])
        .arg(&fleet)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let mut chains: Vec<PathBuf> = std::fs::read_dir(&fleet)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    chains.sort();
    assert_eq!(chains.len(), 2, "{chains:?}");
    for chain in &chains {
        let entries = list(chain);
        assert_eq!(entries.len(), 1, "{}", chain.display());
        // The entry names the host it is about (the remote's host name) and when the
        // scan ran there.
        assert!(entries[0]["host"].is_string(), "{:?}", entries[0]);
        assert!(entries[0]["scan_started"].is_string(), "{:?}", entries[0]);
        verify(chain);
    }
    assert!(lab.leftovers().is_empty(), "{:?}", lab.leftovers());
}

/// `--waivers` on a remote scan: the file is read here, the waivers travel in the scan
/// specification, the host applies them with its own name, and a waiver scoped to
/// other hosts does not apply.
#[test]
fn remote_scans_apply_the_waivers_read_on_the_controller() {
    let mut lab = Lab::new();
    let port = lab.sshd("", "hostkey");
    let content = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/content/ccm-log11/vigil-ccm-log11-ds.xml"
    );
    let waivers = lab.path("waivers.yaml");
    std::fs::write(
        &waivers,
        "waivers:\n  - rule: \"*\"\n    justification: accepted for the remote test\n    expires: 2099-12-31\n  - rule: \"*\"\n    justification: never applies\n    hosts: [\"no-such-host-*\"]\n",
    )
    .unwrap();
    let out = lab
        .real_scan(Path::new(content))
        .args(["--host", &host(port), "--json", "-", "--quiet", "--waivers"])
        .arg(&waivers)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let failing: Vec<&Value> = doc["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| matches!(r["result"].as_str(), Some("fail" | "error" | "unknown")))
        .collect();
    assert!(!failing.is_empty(), "this machine fails some bundled rules");
    assert!(
        failing
            .iter()
            .all(|r| r["waiver"]["justification"] == "accepted for the remote test"),
        "{failing:?}"
    );
    assert_eq!(doc["summary"]["waived"], failing.len());
    assert_eq!(
        doc["scan"]["waivers"]["unmatched"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(lab.leftovers().is_empty(), "nothing left on the target");
}
