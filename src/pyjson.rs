//! JSON written byte for byte as Python's `json.dumps` writes it (separators
//! `", "` and `": "`, ASCII only), because the AWS CLI hashes that text to name
//! its cache files and writes its cache files that way.

use std::fmt::Write;

pub enum Py<'a> {
    Str(&'a str),
    Int(i64),
    /// Keys in the order given: callers sort them where Python would.
    Obj(Vec<(&'a str, Py<'a>)>),
}

pub fn dumps(value: &Py) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

fn write_value(out: &mut String, value: &Py) {
    match value {
        Py::Str(s) => write_str(out, s),
        Py::Int(n) => {
            let _ = write!(out, "{n}");
        }
        Py::Obj(fields) => {
            out.push('{');
            for (i, (k, v)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_str(out, k);
                out.push_str(": ");
                write_value(out, v);
            }
            out.push('}');
        }
    }
}

/// Python's `ensure_ascii` escaping: everything outside ' '..='~' is escaped,
/// astral characters as UTF-16 surrogate pairs.
fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_python_json_dumps() {
        let v = Py::Obj(vec![
            ("DurationSeconds", Py::Int(3600)),
            ("RoleArn", Py::Str("arn:aws:iam::1:role/a\"b\\c")),
            ("RoleSessionName", Py::Str("é€😀\n\u{7f}\u{1}")),
        ]);
        assert_eq!(
            dumps(&v),
            r#"{"DurationSeconds": 3600, "RoleArn": "arn:aws:iam::1:role/a\"b\\c", "RoleSessionName": "\u00e9\u20ac\ud83d\ude00\n\u007f\u0001"}"#
        );
    }
}
