//! PowerShell: `$Env:NAME = 'run' + [char]N + ...`, all on one line.
//!
//! Output is pure printable ASCII. `| Invoke-Expression` runs each output
//! line separately, so CR/LF must not appear literally; and PowerShell
//! decodes our stdout with the console code page, where UTF-8 bytes can
//! turn into typographic quotes (U+2018..U+201B, which PowerShell treats
//! like `'`; e.g. cp1252 byte 0x91). So every non-printable or non-ASCII
//! UTF-16 unit is written as `[char]N`, and only `'` needs doubling.

use super::{Shell, UnrepresentableValue, reject_nul};

pub struct PowerShell;

impl Shell for PowerShell {
    fn export(&self, name: &str, value: &str) -> Result<String, UnrepresentableValue> {
        reject_nul(name, value)?;
        Ok(format!("$Env:{name} = {}\n", expression(value)))
    }

    fn unset(&self, name: &str) -> String {
        format!("Remove-Item -ErrorAction SilentlyContinue Env:{name}\n")
    }

    /// Nothing: `$LASTEXITCODE` already holds awsrole's status after
    /// `awsrole env ... | Invoke-Expression`, and with
    /// `$PSNativeCommandUseErrorActionPreference` a failure stops a script.
    /// No statement that sets `$?` through Invoke-Expression has been run in
    /// a real PowerShell here, so none is printed.
    fn failure(&self, _status: u8) -> String {
        String::new()
    }

    fn hook(&self) -> Option<&'static str> {
        Some(include_str!("../../shell/awsrole.ps1"))
    }
}

fn expression(value: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut run: Option<String> = None;
    let mut buf = [0u16; 2];
    for c in value.chars() {
        if c == ' ' || c.is_ascii_graphic() {
            let r = run.get_or_insert_with(String::new);
            if c == '\'' {
                r.push('\'');
            }
            r.push(c);
            continue;
        }
        if let Some(r) = run.take() {
            parts.push(format!("'{r}'"));
        }
        // Astral characters become a surrogate pair, as .NET stores them.
        for unit in c.encode_utf16(&mut buf) {
            parts.push(format!("[char]{unit}"));
        }
    }
    if let Some(r) = run {
        parts.push(format!("'{r}'"));
    }
    // A leading [char] would make `+` numeric addition, not concatenation.
    if !parts.first().is_some_and(|p| p.starts_with('\'')) {
        parts.insert(0, "''".to_owned());
    }
    parts.join(" + ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(value: &str) -> String {
        PowerShell.export("AWS_X", value).unwrap()
    }

    #[test]
    fn exports() {
        assert_eq!(ex("plain"), "$Env:AWS_X = 'plain'\n");
        assert_eq!(ex(""), "$Env:AWS_X = ''\n");
        assert_eq!(ex("a'b$c\nd"), "$Env:AWS_X = 'a''b$c' + [char]10 + 'd'\n");
        assert_eq!(ex("\r\n"), "$Env:AWS_X = '' + [char]13 + [char]10\n");
        assert_eq!(
            ex("\t x\x7f"),
            "$Env:AWS_X = '' + [char]9 + ' x' + [char]127\n"
        );
        assert_eq!(
            ex("\u{2018}\u{2019}\u{201a}\u{201b}"),
            "$Env:AWS_X = '' + [char]8216 + [char]8217 + [char]8218 + [char]8219\n"
        );
        assert_eq!(
            ex("é😀"),
            "$Env:AWS_X = '' + [char]233 + [char]55357 + [char]56832\n"
        );
        assert_eq!(ex("`$(x)\"#"), "$Env:AWS_X = '`$(x)\"#'\n");
    }

    #[test]
    fn output_is_one_ascii_line() {
        let s = ex("x\u{85}\u{2028}\u{2029}\r\n\x0b\x0c\x1b\u{feff}y");
        assert!(s.is_ascii(), "{s}");
        assert_eq!(s.find('\n'), Some(s.len() - 1), "{s}");
        assert!(!s.contains('\r'));
    }

    #[test]
    fn unsets() {
        assert_eq!(
            PowerShell.unset("AWS_X"),
            "Remove-Item -ErrorAction SilentlyContinue Env:AWS_X\n"
        );
    }
}
