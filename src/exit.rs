//! The one map from what a command found to its exit status (README "Exit status",
//! DESIGN.md): every command handler returns an [`Exit`] or an error, and only
//! `main` turns them into numbers (an error is always 1).

/// How a command ended, when it ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    /// Exit 0: every rule passed, the chain is intact, nothing changed (or, for
    /// `baseline restore`, everything that had changed was restored).
    Clean,
    /// Exit 2: it ran and found something: a rule (or, for OVAL content, a
    /// definition) failed, errored or is unknown; `history verify` found tampering;
    /// `history diff` new failures; `baseline check` a change; `baseline restore` a
    /// path it refused to restore; a fleet host failed.
    Findings,
    /// Exit 1: it could not do what was asked (bad arguments or input, unwritable
    /// output, a fleet host that could not be scanned).
    CannotRun,
}

impl Exit {
    /// The process exit status.
    pub fn code(self) -> u8 {
        match self {
            Exit::Clean => 0,
            Exit::Findings => 2,
            Exit::CannotRun => 1,
        }
    }

    /// [`Exit::Findings`] when `found`, else [`Exit::Clean`].
    pub fn findings_if(found: bool) -> Exit {
        if found { Exit::Findings } else { Exit::Clean }
    }

    /// The exit of a scan's results (a failure, error or unknown is a finding).
    pub fn of_scan(r: &vigil_core::model::ScanResults) -> Exit {
        Exit::findings_if(r.has_findings())
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_statuses() {
        assert_eq!(
            [Exit::Clean, Exit::Findings, Exit::CannotRun].map(Exit::code),
            [0, 2, 1]
        );
        // A fleet's worst host decides: could-not-run beats findings beats clean.
        assert_eq!(
            Exit::Clean.max(Exit::Findings).max(Exit::CannotRun),
            Exit::CannotRun
        );
    }
}
