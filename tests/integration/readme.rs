//! The README documents every flag: each command's `--help` (subcommands of `history`
//! and `baseline` included; hidden commands and flags are not listed by clap and so
//! not required) is read, and every long flag it lists must appear in the README where
//! that command is documented: the section under the heading that names the command
//! (`### vigil scan ...`), or the table row that does (`| vigil history list DIR ...`).
//! `--help` and `--version`, which every command has, are documented once.

use std::collections::BTreeSet;

use super::vigil;

const README: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"));

/// Flags every command has; the README documents them once, not per command.
const GLOBAL: &[&str] = &["--help", "--version"];

/// `vigil <path> --help`: the subcommands it lists (without `help`) and its long flags.
fn help(path: &[&str]) -> (Vec<String>, BTreeSet<String>) {
    let mut args = path.to_vec();
    args.push("--help");
    let out = vigil(&args);
    assert!(out.status.success(), "vigil {args:?} failed");
    let text = String::from_utf8(out.stdout).expect("help is UTF-8");
    let (mut subcommands, mut flags) = (Vec::new(), BTreeSet::new());
    let mut in_commands = false;
    for line in text.lines() {
        if line.ends_with(':') && !line.starts_with(' ') {
            in_commands = line == "Commands:";
            continue;
        }
        let t = line.trim_start();
        if in_commands {
            // "  list    List the entries of a history."
            if let Some(name) = t.split_whitespace().next()
                && line.starts_with("  ")
                && !line.starts_with("   ")
                && name != "help"
            {
                subcommands.push(name.to_string());
            }
        } else if t.starts_with('-') {
            // "  -j, --jobs <N>  ..." or "      --json  ...": the option's own long name,
            // not flags its description mentions.
            if let Some(flag) = t
                .split([' ', ',', '='])
                .find(|w| w.starts_with("--") && w.len() > 2)
            {
                flags.insert(flag.to_string());
            }
        }
    }
    (subcommands, flags)
}

/// Every command path (`[]`, `["scan"]`, `["history", "list"]`, ...) with its flags.
fn commands() -> Vec<(Vec<String>, BTreeSet<String>)> {
    let mut out = Vec::new();
    let mut todo = vec![Vec::<String>::new()];
    while let Some(path) = todo.pop() {
        let p: Vec<&str> = path.iter().map(String::as_str).collect();
        let (subs, flags) = help(&p);
        for s in subs {
            let mut child = path.clone();
            child.push(s);
            todo.push(child);
        }
        out.push((path, flags));
    }
    out.sort();
    out
}

/// Whether `flag` occurs in `text` as a whole flag (`--host` is not found in `--hosts`).
fn mentions(text: &str, flag: &str) -> bool {
    text.match_indices(flag).any(|(i, _)| {
        !text[i + flag.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '-')
    })
}

/// The part of the README that documents `vigil <path>`: the section under a heading
/// naming it, else the table row naming it.
fn documentation(path: &str) -> Option<String> {
    let named = format!("`vigil {path}");
    let names = |line: &str| {
        line.match_indices(&named).any(|(i, _)| {
            // `vigil history` must not match `vigil history list`'s row only by prefix
            // of a longer command word.
            !line[i + named.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '-')
        })
    };
    let lines: Vec<&str> = README.lines().collect();
    if let Some(start) = lines.iter().position(|l| l.starts_with('#') && names(l)) {
        let level = lines[start].chars().take_while(|&c| c == '#').count();
        let end = lines[start + 1..]
            .iter()
            .position(|l| {
                let n = l.chars().take_while(|&c| c == '#').count();
                n > 0 && n <= level
            })
            .map_or(lines.len(), |i| start + 1 + i);
        return Some(lines[start..end].join("\n"));
    }
    lines
        .iter()
        .find(|l| l.starts_with('|') && names(l))
        .map(|l| l.to_string())
}

#[test]
fn readme_documents_every_flag_of_every_command() {
    let commands = commands();
    // The walk found the subcommands (a change in clap's help layout would otherwise
    // make this test pass on nothing).
    for expected in [
        "scan",
        "info",
        "validate",
        "report",
        "history list",
        "history record",
        "baseline create",
        "baseline check",
    ] {
        assert!(
            commands.iter().any(|(p, _)| p.join(" ") == expected),
            "vigil {expected} not found in the help output"
        );
    }
    assert!(
        !commands
            .iter()
            .any(|(p, _)| p.iter().any(|w| w == "remote-selftest")),
        "hidden command listed"
    );
    let mut missing = Vec::new();
    let mut global = BTreeSet::new();
    for (path, flags) in &commands {
        let path = path.join(" ");
        let (shared, own): (Vec<&String>, Vec<&String>) =
            flags.iter().partition(|f| GLOBAL.contains(&f.as_str()));
        global.extend(shared);
        if own.is_empty() {
            continue;
        }
        let Some(doc) = documentation(&path) else {
            missing.push(format!("vigil {path}: no README section or table row"));
            continue;
        };
        for f in own {
            if !mentions(&doc, f) {
                missing.push(format!(
                    "vigil {path} {f}: not where the command is documented"
                ));
            }
        }
    }
    for f in global {
        if !mentions(README, f) {
            missing.push(format!("{f}: not in the README"));
        }
    }
    assert!(
        missing.is_empty(),
        "flags the README does not document:\n  {}",
        missing.join("\n  ")
    );
}
