//! Where the real peers and fixtures are: the test venv (moto server, AWS CLI
//! v1, tree-sitter), Debian's AWS CLI v2, the awsrole binary under test, and
//! the conformance vectors kept in the repository.

use std::path::{Path, PathBuf};

use super::loud_panic;

/// The test venv (`$AWSROLE_TEST_VENV`, default `<crate>/.venv`).
pub fn venv_dir() -> PathBuf {
    match std::env::var_os("AWSROLE_TEST_VENV") {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv"),
    }
}

/// `<venv>/bin/<name>`; panics loudly when missing (run `scripts/test`).
pub fn venv_bin(name: &str) -> PathBuf {
    let path = venv_dir().join("bin").join(name);
    if !path.is_file() {
        loud_panic(&[
            &format!("TEST PEER MISSING: {}", path.display()),
            "The test venv (moto server, AWS CLI v1, tree-sitter) is not installed.",
            "Run `scripts/test` from the repository root: it installs every test peer",
            "and exports AWSROLE_TEST_VENV. Tests never skip a missing peer.",
        ]);
    }
    path
}

/// The cross-SDK vectors copied into `tests/conformance/` (provenance and
/// licence in its README); panics loudly when absent.
pub fn conformance_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    if !dir.is_dir() {
        loud_panic(&[
            &format!("CONFORMANCE VECTORS MISSING: {}", dir.display()),
            "They are part of the repository: restore tests/conformance/ from git.",
        ]);
    }
    dir
}

/// One JSON file of the conformance vectors, e.g. `smithy-rs/assume-role-tests.json`.
pub fn conformance_json(rel: &str) -> serde_json::Value {
    let path = conformance_dir().join(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read conformance file {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad JSON in {}: {e}", path.display()))
}

/// The pinned nushell binary (`$AWSROLE_TEST_NU`, installed by scripts/setup).
pub fn nu_bin() -> PathBuf {
    match std::env::var_os("AWSROLE_TEST_NU") {
        Some(v) if Path::new(&v).is_file() => PathBuf::from(v),
        _ => loud_panic(&[
            "TEST PEER MISSING: nushell ($AWSROLE_TEST_NU)",
            "Run `scripts/test` from the repository root: scripts/setup installs the",
            "pinned nushell from npm and exports AWSROLE_TEST_NU. Tests never skip it.",
        ]),
    }
}

/// The awsrole binary under test.
pub fn awsrole_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_awsrole"))
}

/// Debian's AWS CLI v2 (2.9); it ignores AWS_ENDPOINT_URL_STS.
pub const AWS_V2: &str = "/usr/bin/aws";

/// A loopback proxy address nothing listens on (discard port): requests that would
/// leave the machine through it fail at once.
pub const DEAD_PROXY: &str = "http://127.0.0.1:9";

/// The PATH every test program gets: the test process's own.
pub fn test_path() -> std::ffi::OsString {
    std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into())
}
