//! zsh: POSIX single quoting, which `posix::single_quote` keeps safe under
//! `setopt rc_quotes` by never emitting `''` inside a value.

use super::{Shell, UnrepresentableValue, posix};

pub struct Zsh;

impl Shell for Zsh {
    fn export(&self, name: &str, value: &str) -> Result<String, UnrepresentableValue> {
        posix::export(name, value)
    }

    fn unset(&self, name: &str) -> String {
        posix::unset(name)
    }

    fn failure(&self, status: u8) -> String {
        posix::failure(status)
    }

    fn hook(&self) -> Option<&'static str> {
        Some(include_str!("../../shell/awsrole.zsh"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_and_unsets() {
        assert_eq!(
            Zsh.export("AWS_X", "a'b$c\nd").unwrap(),
            "export AWS_X='a'\\''b$c\nd'\n"
        );
        // rc_quotes would read `''` as a literal quote.
        assert_eq!(
            Zsh.export("AWS_X", "a''b").unwrap(),
            "export AWS_X='a'\\'\\''b'\n"
        );
        assert_eq!(Zsh.unset("AWS_X"), "unset AWS_X\n");
    }
}
