//! elvish: `set-env` with a single-quoted string, where `''` is a quote and
//! every other character stands for itself.

use super::{Shell, UnrepresentableValue, reject_nul};

pub struct Elvish;

impl Shell for Elvish {
    fn export(&self, name: &str, value: &str) -> Result<String, UnrepresentableValue> {
        reject_nul(name, value)?;
        Ok(format!("set-env {name} '{}'\n", value.replace('\'', "''")))
    }

    fn unset(&self, name: &str) -> String {
        format!("unset-env {name}\n")
    }

    /// `fail` raises an exception: `eval` of the output throws it, which
    /// stops a script and only prints at an interactive prompt.
    fn failure(&self, _status: u8) -> String {
        "fail 'awsrole env failed'\n".to_owned()
    }

    fn hook(&self) -> Option<&'static str> {
        Some(include_str!("../../shell/awsrole.elv"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports() {
        let ex = |v| Elvish.export("AWS_X", v).unwrap();
        assert_eq!(ex("plain"), "set-env AWS_X 'plain'\n");
        assert_eq!(ex(""), "set-env AWS_X ''\n");
        assert_eq!(ex("a'b$c\nd\\"), "set-env AWS_X 'a''b$c\nd\\'\n");
    }

    #[test]
    fn unsets() {
        assert_eq!(Elvish.unset("AWS_X"), "unset-env AWS_X\n");
    }
}
