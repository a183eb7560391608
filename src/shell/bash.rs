//! bash: POSIX single quoting; kept separate for bash-only hooks.

use super::{Shell, UnrepresentableValue, posix};

pub struct Bash;

impl Shell for Bash {
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
        Some(include_str!("../../shell/awsrole.bash"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_and_unsets() {
        assert_eq!(
            Bash.export("AWS_X", "a'b$c\nd").unwrap(),
            "export AWS_X='a'\\''b$c\nd'\n"
        );
        assert_eq!(Bash.export("AWS_X", "!x").unwrap(), "export AWS_X='!x'\n");
        assert_eq!(Bash.unset("AWS_X"), "unset AWS_X\n");
    }
}
