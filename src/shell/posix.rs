//! POSIX sh (dash, ksh, ...); bash and zsh reuse `single_quote`.

use super::{Shell, UnrepresentableValue, reject_nul};

pub struct Posix;

impl Shell for Posix {
    fn export(&self, name: &str, value: &str) -> Result<String, UnrepresentableValue> {
        export(name, value)
    }

    fn unset(&self, name: &str) -> String {
        unset(name)
    }

    fn failure(&self, status: u8) -> String {
        failure(status)
    }
}

pub(super) fn export(name: &str, value: &str) -> Result<String, UnrepresentableValue> {
    reject_nul(name, value)?;
    Ok(format!("export {name}={}\n", single_quote(value)))
}

pub(super) fn unset(name: &str) -> String {
    format!("unset {name}\n")
}

/// A subshell that exits with `status`: `$?` is set and nothing else
/// changes. A bare `exit` would end an interactive shell, and `return` the
/// function around the `eval`; `false` would lose the status.
pub(super) fn failure(status: u8) -> String {
    format!("(exit {status})\n")
}

/// Quotes runs between `'` in single quotes and each `'` as `\'`.
///
/// An empty `''` is emitted only for the empty value: under zsh's
/// `rc_quotes`, `''` inside a quoted run means a literal quote, so the
/// classic `'\''` replacement would break on values like `a''b`
/// (`'a'\'''\''b'`).
pub(super) fn single_quote(value: &str) -> String {
    if value.is_empty() {
        return "''".to_owned();
    }
    let mut out = String::with_capacity(value.len() + 2);
    for (i, run) in value.split('\'').enumerate() {
        if i > 0 {
            out.push_str("\\'");
        }
        if !run.is_empty() {
            out.push('\'');
            out.push_str(run);
            out.push('\'');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(value: &str) -> String {
        Posix.export("AWS_X", value).unwrap()
    }

    #[test]
    fn exports() {
        assert_eq!(ex("plain"), "export AWS_X='plain'\n");
        assert_eq!(ex(""), "export AWS_X=''\n");
        assert_eq!(ex("a'b$c\nd"), "export AWS_X='a'\\''b$c\nd'\n");
        assert_eq!(ex("'"), "export AWS_X=\\'\n");
        assert_eq!(ex("''"), "export AWS_X=\\'\\'\n");
        assert_eq!(ex("'a'"), "export AWS_X=\\''a'\\'\n");
        assert_eq!(ex("a''b"), "export AWS_X='a'\\'\\''b'\n");
        assert_eq!(ex("\\`$(x)~!*"), "export AWS_X='\\`$(x)~!*'\n");
        assert_eq!(ex("-n"), "export AWS_X='-n'\n");
    }

    #[test]
    fn never_emits_an_empty_quoted_run() {
        for v in ["'", "''", "a''b", "'''x'''", "x'", "a'b'c"] {
            let q = single_quote(v);
            // The output is a sequence of `\'` and non-empty `'...'` runs.
            let mut rest = q.as_str();
            while !rest.is_empty() {
                if let Some(r) = rest.strip_prefix("\\'") {
                    rest = r;
                    continue;
                }
                let body = rest.strip_prefix('\'').expect(&q);
                let end = body.find('\'').expect(&q);
                assert!(end > 0, "{v:?} -> {q}");
                rest = &body[end + 1..];
            }
        }
    }

    #[test]
    fn unsets() {
        assert_eq!(Posix.unset("AWS_X"), "unset AWS_X\n");
    }

    #[test]
    fn failure_is_a_subshell_exit() {
        assert_eq!(Posix.failure(3), "(exit 3)\n");
    }
}
