//! `--verbose`: what awsrole does (files, cache hits and misses, locks, STS
//! calls), on stderr. Only names, paths, ARNs and times: never a secret.

use std::sync::atomic::{AtomicBool, Ordering};

static ON: AtomicBool = AtomicBool::new(false);

pub fn enable() {
    ON.store(true, Ordering::Relaxed);
}

pub fn on() -> bool {
    ON.load(Ordering::Relaxed)
}

/// `verbose!("...")`: one `awsrole: ...` line on stderr with `--verbose`.
#[macro_export]
macro_rules! verbose {
    ($($arg:tt)*) => {
        if $crate::verbose::on() {
            eprintln!("awsrole: {}", format_args!($($arg)*));
        }
    };
}
