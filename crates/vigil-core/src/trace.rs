//! Timing traces for finding where a scan spends its time: with `VIGIL_TRACE=1` in the
//! environment, each phase (content loading, every probe batch, evaluation, report
//! writing) prints one line to stderr with its wall time, and the CPU time and peak
//! resident memory of the whole process so far. Off by default; when off a [`Span`] costs one relaxed load.

use std::sync::OnceLock;
use std::time::Instant;

/// Whether `VIGIL_TRACE` is set to something other than empty or `0`.
pub fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("VIGIL_TRACE").is_some_and(|v| !v.is_empty() && v != "0"))
}

/// Process CPU time (user, system) in seconds, and peak resident memory in MB.
fn usage() -> (f64, f64, f64) {
    // SAFETY: ru is a valid out-pointer for getrusage.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return (0.0, 0.0, 0.0);
    }
    let s = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (s(ru.ru_utime), s(ru.ru_stime), ru.ru_maxrss as f64 / 1024.0)
}

/// A timed phase; prints its line when dropped (only when tracing is enabled).
pub struct Span {
    start: Option<(Instant, String)>,
}

/// Starts a timed phase named by `what` (only evaluated when tracing is on).
pub fn span(what: impl FnOnce() -> String) -> Span {
    Span {
        start: enabled().then(|| (Instant::now(), what())),
    }
}

impl Drop for Span {
    fn drop(&mut self) {
        if let Some((t, what)) = self.start.take() {
            let (u, s, rss) = usage();
            eprintln!(
                "vigil trace: {:>8.1} ms  {what}  (process so far: user {u:.2} s, sys {s:.2} s, peak rss {rss:.0} MB)",
                t.elapsed().as_secs_f64() * 1e3
            );
        }
    }
}
