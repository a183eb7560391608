//! Python checkers (`tests/common/checkers/*.py`, run by the venv's python):
//! the real PowerShell grammar, through tree-sitter.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use super::peers::venv_bin;

/// Runs `tests/common/checkers/<checker>` with `input` on stdin: Ok(its JSON) or
/// Err(its stderr). Panics when the venv lacks tree-sitter (never skips).
pub fn python_checker(checker: &str, input: &str) -> Result<serde_json::Value, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/common/checkers")
        .join(checker);
    let mut child = Command::new(venv_bin("python"))
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot run the venv python");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(input.as_bytes())
        .expect("write to the checker");
    let out = child.wait_with_output().expect("checker output");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !stderr.contains("ModuleNotFoundError"),
        "tree_sitter / tree_sitter_powershell missing from the venv (run scripts/test): {stderr}"
    );
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).expect("checker printed invalid JSON"))
    } else {
        Err(stderr)
    }
}
