//! fish: single quotes where only `\\` and `\'` are escapes.

use super::{Shell, UnrepresentableValue, reject_nul};

pub struct Fish;

impl Shell for Fish {
    fn export(&self, name: &str, value: &str) -> Result<String, UnrepresentableValue> {
        reject_nul(name, value)?;
        let mut out = format!("set -gx {name} '");
        for c in value.chars() {
            if c == '\\' || c == '\'' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push_str("'\n");
        Ok(out)
    }

    /// `set -e` of a variable that is not set ends with status 4: `or true`,
    /// so that `awsrole env ... | source; and ...` goes on after a success.
    fn unset(&self, name: &str) -> String {
        format!("set -e {name}; or true\n")
    }

    /// Status 1 whatever `status`: fish has no subshell, and `return N` in
    /// sourced text returns from the function around `source` (under `eval`
    /// it exits the shell). `builtin`: a function named `false` cannot
    /// stand in for it.
    fn failure(&self, _status: u8) -> String {
        "builtin false\n".to_owned()
    }

    fn hook(&self) -> Option<&'static str> {
        Some(include_str!("../../shell/awsrole.fish"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports() {
        let ex = |v| Fish.export("AWS_X", v).unwrap();
        assert_eq!(ex("plain"), "set -gx AWS_X 'plain'\n");
        assert_eq!(ex(""), "set -gx AWS_X ''\n");
        assert_eq!(ex("a'b$c\nd"), "set -gx AWS_X 'a\\'b$c\nd'\n");
        assert_eq!(ex("a\\b\\"), "set -gx AWS_X 'a\\\\b\\\\'\n");
        assert_eq!(ex("-e"), "set -gx AWS_X '-e'\n");
    }

    #[test]
    fn unsets() {
        assert_eq!(Fish.unset("AWS_X"), "set -e AWS_X; or true\n");
    }

    #[test]
    fn failure_is_builtin_false() {
        assert_eq!(Fish.failure(3), "builtin false\n");
    }
}
