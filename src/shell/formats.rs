//! `env --format`: output for programs rather than shells.
//!
//! - `json`: one object, `null` for a variable to remove.
//! - `dotenv`: `NAME=value` lines as `docker run --env-file` reads them:
//!   the value is everything after the first `=`, with no quoting, so a
//!   value with a line break is refused. Removals print nothing (a
//!   container starts without them).
//! - `github`: lines for `>> "$GITHUB_ENV"`: `NAME=value`, or for a value
//!   with a line break `NAME<<DELIM`, the value's lines, then `DELIM`, with
//!   a random DELIM that is not in the value. GitHub cannot remove a
//!   variable from later steps, so removals set it to the empty string.

use clap::ValueEnum;

use super::{Shell, UnrepresentableValue, reject_nul};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON object of the variables, null for those to remove
    Json,
    /// NAME=value lines for `docker run --env-file` (no quoting)
    Dotenv,
    /// Lines to append to $GITHUB_ENV in GitHub Actions
    Github,
}

impl Format {
    pub fn shell(self) -> &'static dyn Shell {
        match self {
            Format::Json => &Json,
            Format::Dotenv => &Dotenv,
            Format::Github => &Github,
        }
    }
}

struct Json;
struct Dotenv;
struct Github;

impl Shell for Json {
    fn export(&self, name: &str, value: &str) -> Result<String, UnrepresentableValue> {
        self.render(&[(name, Some(value))])
    }

    fn unset(&self, name: &str) -> String {
        self.render(&[(name, None)])
            .expect("null is always representable")
    }

    /// Nothing: an empty document is not JSON, so a reader fails too.
    fn failure(&self, _status: u8) -> String {
        String::new()
    }

    fn render(&self, vars: &[(&str, Option<&str>)]) -> Result<String, UnrepresentableValue> {
        let mut fields = Vec::new();
        for (name, value) in vars {
            if let Some(v) = value {
                reject_nul(name, v)?;
            }
            let key = serde_json::to_string(name).expect("a string serializes");
            let value = serde_json::to_string(value).expect("a string serializes");
            fields.push(format!("{key}:{value}"));
        }
        Ok(format!("{{{}}}\n", fields.join(",")))
    }
}

impl Shell for Dotenv {
    fn export(&self, name: &str, value: &str) -> Result<String, UnrepresentableValue> {
        reject_nul(name, value)?;
        if value.contains(['\n', '\r']) {
            return Err(UnrepresentableValue {
                name: name.to_owned(),
                reason: "contains a line break, which an --env-file line cannot hold",
            });
        }
        Ok(format!("{name}={value}\n"))
    }

    fn unset(&self, _name: &str) -> String {
        String::new()
    }

    fn failure(&self, _status: u8) -> String {
        String::new()
    }
}

impl Shell for Github {
    fn export(&self, name: &str, value: &str) -> Result<String, UnrepresentableValue> {
        reject_nul(name, value)?;
        if !value.contains(['\n', '\r']) {
            return Ok(format!("{name}={value}\n"));
        }
        let delimiter = loop {
            let d = delimiter();
            if !value.contains(&d) {
                break d;
            }
        };
        Ok(format!("{name}<<{delimiter}\n{value}\n{delimiter}\n"))
    }

    fn unset(&self, name: &str) -> String {
        format!("{name}=\n")
    }

    fn failure(&self, _status: u8) -> String {
        String::new()
    }
}

fn delimiter() -> String {
    let mut buf = [0u8; 16];
    // Without OS randomness, a fixed text still works: the loop above
    // only needs one that is not in the value.
    let _ = getrandom::fill(&mut buf);
    let hex: String = buf.iter().map(|b| format!("{b:02x}")).collect();
    format!("AWSROLE_EOF_{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_one_object_with_null_to_remove() {
        let out = Json
            .render(&[("A", Some("x\"\n\\é")), ("B", None)])
            .unwrap();
        assert_eq!(out, "{\"A\":\"x\\\"\\n\\\\é\",\"B\":null}\n");
    }

    #[test]
    fn dotenv_lines_are_literal() {
        assert_eq!(Dotenv.export("A", " 'q' #x=").unwrap(), "A= 'q' #x=\n");
        assert_eq!(Dotenv.unset("A"), "");
        for v in ["a\nb", "a\r"] {
            let err = Dotenv.export("AWS_SECRET", v).unwrap_err();
            assert_eq!(err.name, "AWS_SECRET");
        }
    }

    #[test]
    fn github_uses_a_fresh_delimiter_for_line_breaks() {
        assert_eq!(Github.export("A", "x<<y").unwrap(), "A=x<<y\n");
        assert_eq!(Github.unset("A"), "A=\n");
        let out = Github.export("A", "l1\nl2").unwrap();
        let (head, rest) = out.split_once('\n').unwrap();
        let d = head.strip_prefix("A<<").unwrap();
        assert!(d.len() > 20, "{d}");
        assert_eq!(rest, format!("l1\nl2\n{d}\n"));
        assert_ne!(out, Github.export("A", "l1\nl2").unwrap());
    }
}
