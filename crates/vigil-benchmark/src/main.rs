//! `vigil-benchmark`: builds or checks the bundled benchmark.
//!
//! ```text
//! vigil-benchmark build DIR --out OUT [--readme README.md]
//! vigil-benchmark check DIR [--out OUT] [--readme README.md]
//! ```
//!
//! `build` writes the XCCDF, OVAL and data-stream files into OUT (only those that
//! changed) and refreshes the README tables. `check` validates DIR and, given OUT or
//! `--readme`, exits 1 when those files are not what `build` would write.

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: vigil-benchmark build DIR --out OUT [--readme README.md]\n       vigil-benchmark check DIR [--out OUT] [--readme README.md]";

struct Args {
    build: bool,
    dir: PathBuf,
    out: Option<PathBuf>,
    readme: Option<PathBuf>,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let cmd = args.next().ok_or("no command")?;
    let build = match cmd.as_str() {
        "build" => true,
        "check" => false,
        "-h" | "--help" => return Err(String::new()),
        c => return Err(format!("unknown command {c:?}")),
    };
    let (mut dir, mut out, mut readme) = (None, None, None);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--out" => out = Some(PathBuf::from(args.next().ok_or("--out needs a directory")?)),
            "--readme" => {
                readme = Some(PathBuf::from(args.next().ok_or("--readme needs a file")?));
            }
            s if s.starts_with('-') => return Err(format!("unknown option {s:?}")),
            s if dir.is_none() => dir = Some(PathBuf::from(s)),
            s => return Err(format!("unexpected argument {s:?}")),
        }
    }
    let dir = dir.ok_or("no benchmark directory given")?;
    if build && out.is_none() {
        return Err("build needs --out DIR".into());
    }
    Ok(Args {
        build,
        dir,
        out,
        readme,
    })
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("vigil-benchmark: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("vigil-benchmark: {e}");
            ExitCode::from(1)
        }
    }
}

/// Ok(false): `check` found stale files.
fn run(a: &Args) -> Result<bool, vigil_benchmark::Error> {
    let b = vigil_benchmark::load(&a.dir)?;
    let outputs = vigil_benchmark::compile(&b);
    let tests: usize = b.rules.iter().map(|r| r.check.tests.len()).sum();
    let mut stale = Vec::new();
    if let Some(out) = &a.out {
        if a.build {
            for p in vigil_benchmark::write(&outputs, out)? {
                println!("wrote {}", p.display());
            }
        } else {
            stale.extend(vigil_benchmark::stale(&outputs, out));
        }
    }
    if let Some(r) = &a.readme {
        let (old, fresh) = vigil_benchmark::updated_readme(&b, r)?;
        if old != fresh {
            if a.build {
                std::fs::write(r, fresh).map_err(|source| vigil_benchmark::Error::Io {
                    path: r.clone(),
                    source,
                })?;
                println!("wrote {}", r.display());
            } else {
                stale.push(r.clone());
            }
        }
    }
    println!(
        "{}: {} rules, {} tests, {} values",
        a.dir.display(),
        b.rules.len(),
        tests,
        b.meta.values.len()
    );
    for p in &stale {
        eprintln!("stale: {}", p.display());
    }
    if !stale.is_empty() {
        let mut cmd = format!("vigil-benchmark build {}", a.dir.display());
        if let Some(o) = &a.out {
            cmd.push_str(&format!(" --out {}", o.display()));
        }
        if let Some(r) = &a.readme {
            cmd.push_str(&format!(" --readme {}", r.display()));
        }
        eprintln!("regenerate with: {cmd}");
    }
    Ok(stale.is_empty())
}
