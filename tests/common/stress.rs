//! For the `hardening_*` tests: stress scaling, the figures report, and a
//! seeded PRNG.

use std::io::Write;
use std::path::PathBuf;
use std::time::SystemTime;

/// docs/guarantees.md); anything else (or unset) the CI counts.
pub fn full() -> bool {
    std::env::var("AWSROLE_STRESS").is_ok_and(|v| v == "full")
}

/// `ci` normally, `full` under `AWSROLE_STRESS=full`.
pub fn scaled(ci: usize, full_count: usize) -> usize {
    if full() { full_count } else { ci }
}

fn report_path() -> PathBuf {
    match std::env::var_os("AWSROLE_HARDENING_REPORT") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("hardening-report.txt"),
    }
}

/// Appends one line of measured figures to the hardening report (printed by
/// `scripts/test`) and to the test's own stderr.
pub fn report(test: &str, line: &str) {
    let mode = if full() { "full" } else { "ci" };
    let text = format!("[{mode}] {test}: {line}\n");
    eprint!("{text}");
    let path = report_path();
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
    {
        let _ = f.write_all(text.as_bytes());
    }
}

/// A small deterministic PRNG (xorshift64*), seeded and reported by tests.
pub struct Rng(u64);

impl Rng {
    pub fn seeded() -> (Rng, u64) {
        let seed = match std::env::var("AWSROLE_STRESS_SEED") {
            Ok(s) => s.parse().expect("AWSROLE_STRESS_SEED must be a number"),
            Err(_) => {
                SystemTime::now()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    | 1
            }
        };
        (Rng(seed), seed)
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
