//! nushell: `load-env` with a record of raw strings, `hide-env -i` to unset.
//!
//! A raw string `r#'...'#` ends at the first `'` followed by as many `#`
//! as it opened with, and holds every other character as written.

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
                    fields.push(format!("{name}: {}", raw_string(v)));
                }
                None => out.push_str(&self.unset(name)),
            }
        }
        if fields.is_empty() {
            return Ok(out);
        }
        Ok(format!("load-env {{{}}}\n{out}", fields.join(", ")))
    }
}

fn raw_string(value: &str) -> String {
    let mut hashes = "#".to_owned();
    while value.contains(&format!("'{hashes}")) {
        hashes.push('#');
    }
    format!("r{hashes}'{value}'{hashes}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports() {
        let ex = |v| Nushell.export("AWS_X", v).unwrap();
        assert_eq!(ex("plain"), "load-env {AWS_X: r#'plain'#}\n");
        assert_eq!(ex(""), "load-env {AWS_X: r#''#}\n");
        assert_eq!(ex("a'b\"$c\nd"), "load-env {AWS_X: r#'a'b\"$c\nd'#}\n");
        assert_eq!(ex("x'#y'##"), "load-env {AWS_X: r###'x'#y'##'###}\n");
    }

    #[test]
    fn renders_one_record_then_removals() {
        let out = Nushell
            .render(&[("A", Some("1")), ("B", None), ("C", Some("2"))])
            .unwrap();
        assert_eq!(out, "load-env {A: r#'1'#, C: r#'2'#}\nhide-env -i B\n");
        assert_eq!(Nushell.render(&[("B", None)]).unwrap(), "hide-env -i B\n");
    }
}
