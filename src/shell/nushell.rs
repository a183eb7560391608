//! nushell: `load-env` with a record of strings, `hide-env -i` to unset.
//!
//! Values are double-quoted strings (not interpolated without `$`) where
//! only printable ASCII stands for itself: `"` and `\` are escaped, every
//! other character is `\u{HEX}`. Raw strings `r#'...'#` are not used:
//! nushell 0.115 fails to parse one whose text starts with `#`.

use super::{Shell, UnrepresentableValue, reject_nul};

pub struct Nushell;

impl Shell for Nushell {
    fn export(&self, name: &str, value: &str) -> Result<String, UnrepresentableValue> {
        self.render(&[(name, Some(value))])
    }

    fn unset(&self, name: &str) -> String {
        format!("hide-env -i {name}\n")
    }

    /// `error make` stops the script or pipeline it is evaluated in, and
    /// only reports the error at an interactive prompt.
    fn failure(&self, _status: u8) -> String {
        "error make --unspanned {msg: 'awsrole env failed'}\n".to_owned()
    }

    /// One `load-env` for every value, then one `hide-env` per removal.
    fn render(&self, vars: &[(&str, Option<&str>)]) -> Result<String, UnrepresentableValue> {
        let mut fields = Vec::new();
        let mut out = String::new();
        for (name, value) in vars {
            match value {
                Some(v) => {
                    reject_nul(name, v)?;
                    fields.push(format!("{name}: {}", quoted(v)));
                }
                None => out.push_str(&self.unset(name)),
            }
        }
        if fields.is_empty() {
            return Ok(out);
        }
        Ok(format!("load-env {{{}}}\n{out}", fields.join(", ")))
    }

    fn hook(&self) -> Option<&'static str> {
        Some(include_str!("../../shell/awsrole.nu"))
    }
}

fn quoted(value: &str) -> String {
    let mut out = String::from('"');
    for c in value.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports() {
        let ex = |v| Nushell.export("AWS_X", v).unwrap();
        assert_eq!(ex("plain"), "load-env {AWS_X: \"plain\"}\n");
        assert_eq!(ex(""), "load-env {AWS_X: \"\"}\n");
        assert_eq!(
            ex("a'b\"$(c)\\\nd"),
            "load-env {AWS_X: \"a'b\\\"$(c)\\\\\\u{a}d\"}\n"
        );
        assert_eq!(ex("#é😀"), "load-env {AWS_X: \"#\\u{e9}\\u{1f600}\"}\n");
    }

    #[test]
    fn renders_one_record_then_removals() {
        let out = Nushell
            .render(&[("A", Some("1")), ("B", None), ("C", Some("2"))])
            .unwrap();
        assert_eq!(out, "load-env {A: \"1\", C: \"2\"}\nhide-env -i B\n");
        assert_eq!(Nushell.render(&[("B", None)]).unwrap(), "hide-env -i B\n");
    }
}
