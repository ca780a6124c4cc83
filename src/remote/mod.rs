//! Agentless remote and fleet scans over ssh (`vigil scan --host ...`, `--hosts FILE`).
//!
//! vigil copies itself, the content (with a standalone benchmark's OVAL files and CPE
//! dictionary) and side files to a private temporary directory on each host, runs
//! `vigil scan ... --json -` there and reads the results document from stdout. When SCAP
//! results are asked for, the host writes them in that directory and they come back on
//! the same stdout, each file framed by a length header, with the JSON. What a host may
//! send is bounded (`--max-remote-output`). JSON, HTML and history are produced locally
//! from the results, so a remote scan gives the same results as a local scan of that
//! host. The system OpenSSH client does all connecting.
//!
//! - [`hostspec`]: `[user@]host[:port]`; [`inventory`]: host lists and Ansible INI files.
//! - [`ssh`]: one multiplexed connection per host; [`error`]: what went wrong, classified.
//! - [`runner`]: one host (platform check, mktemp, upload, run, cleanup) for any
//!   [`runner::RemoteTask`]; [`task`]: the scan as a task; [`selftest`]: a stand-in.
//! - [`fleet`]: N hosts at a time, per-host documents, summary and exit status.
//!
//! The clap arguments and the handler main calls are `crate::cli::remote`.

pub(crate) mod error;
pub(crate) mod fleet;
pub(crate) mod hostspec;
pub(crate) mod inventory;
pub(crate) mod runner;
pub(crate) mod selftest;
pub(crate) mod ssh;
pub(crate) mod task;

pub(crate) use task::{ScanTask, ScapOutput};
