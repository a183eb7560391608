//! cmd.exe: `set NAME=value` lines for a batch file run with `call`.
//!
//! Every character that cmd's parser treats specially outside quotes is
//! escaped with `^`, `"` included, so the line never enters a quoted
//! state. `%` is doubled, as percent expansion reads batch lines before
//! carets are seen. `!` is left as it is: it is only special under delayed
//! expansion, which is off unless the caller turned it on (documented).
//! Lines end in CR LF, as cmd expects of batch files. Only printable ASCII
//! is written: cmd reads a batch file in the console's code page (OEM, 437
//! or 850 on most systems), not as UTF-8, so any other byte would arrive
//! changed; such a value is refused, naming the variable.

use super::{Shell, UnrepresentableValue, reject_nul};

pub struct Cmd;

impl Shell for Cmd {
    fn export(&self, name: &str, value: &str) -> Result<String, UnrepresentableValue> {
        reject_nul(name, value)?;
        let refuse = |reason| {
            Err(UnrepresentableValue {
                name: name.to_owned(),
                reason,
            })
        };
        if value.is_empty() {
            return refuse("is empty, and cmd.exe removes a variable set to nothing");
        }
        if value.chars().any(|c| c.is_ascii_control()) {
            return refuse(
                "contains a control character (e.g. a line break), which a cmd.exe line cannot hold",
            );
        }
        if !value.is_ascii() {
            return refuse(
                "contains a non-ASCII character, which cmd.exe would read in the console's code page and change",
            );
        }
        let mut out = format!("set {name}=");
        for c in value.chars() {
            match c {
                '%' => out.push_str("%%"),
                '^' | '&' | '|' | '<' | '>' | '(' | ')' | '"' => {
                    out.push('^');
                    out.push(c);
                }
                _ => out.push(c),
            }
        }
        out.push_str("\r\n");
        Ok(out)
    }

    fn unset(&self, name: &str) -> String {
        format!("set {name}=\r\n")
    }

    /// `exit /b` outside a batch file would close an interactive cmd; a
    /// child cmd that exits sets ERRORLEVEL and nothing else.
    fn failure(&self, status: u8) -> String {
        format!("cmd /c exit {status}\r\n")
    }

    /// Clearing a variable that is not set may leave ERRORLEVEL at 1 in
    /// some cmd versions; `ver` resets it, so `call` of a success is 0.
    fn render(&self, vars: &[(&str, Option<&str>)]) -> Result<String, UnrepresentableValue> {
        let mut out = String::new();
        for (name, value) in vars {
            match value {
                Some(v) => out.push_str(&self.export(name, v)?),
                None => out.push_str(&self.unset(name)),
            }
        }
        if vars.iter().any(|(_, v)| v.is_none()) {
            out.push_str("ver >nul\r\n");
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(value: &str) -> String {
        Cmd.export("AWS_X", value).unwrap()
    }

    #[test]
    fn exports() {
        assert_eq!(ex("plain"), "set AWS_X=plain\r\n");
        assert_eq!(ex("a b "), "set AWS_X=a b \r\n");
        assert_eq!(ex("50%PATH%"), "set AWS_X=50%%PATH%%\r\n");
        assert_eq!(
            ex("a^b&c|d<e>f(g)h\"i"),
            "set AWS_X=a^^b^&c^|d^<e^>f^(g^)h^\"i\r\n"
        );
        assert_eq!(ex("x=y!z'"), "set AWS_X=x=y!z'\r\n");
    }

    #[test]
    fn refuses_what_a_line_cannot_hold_naming_the_variable() {
        for v in ["", "a\nb", "a\rb", "\x1a", "\t", "é", "\u{a0}", "😀"] {
            let err = Cmd.export("AWS_SECRET", v).unwrap_err();
            assert_eq!(err.name, "AWS_SECRET");
            assert!(err.to_string().contains("AWS_SECRET"));
        }
    }

    #[test]
    fn removals_end_with_a_zero_status() {
        assert_eq!(
            Cmd.render(&[("A", Some("1")), ("B", None)]).unwrap(),
            "set A=1\r\nset B=\r\nver >nul\r\n"
        );
        assert_eq!(Cmd.failure(3), "cmd /c exit 3\r\n");
    }
}
