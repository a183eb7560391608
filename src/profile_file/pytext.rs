//! The few Python text rules botocore's reading of the files depends on:
//! `str.isspace`/`str.strip`, `shlex.split` (profile names) and `int()`
//! (duration_seconds). Written from the Python documentation and checked
//! against Python 3.11 by the tests.

/// Python's `str.isspace` for one character: Unicode white space plus the
/// four information separators U+001C..U+001F.
pub fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.strip()`.
pub fn strip(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// Python's `str.rstrip()`.
pub fn rstrip(s: &str) -> &str {
    s.trim_end_matches(is_space)
}

/// How many white-space characters a line starts with (configparser's
/// indentation level).
pub fn indent(s: &str) -> usize {
    s.chars().take_while(|c| is_space(*c)).count()
}

/// Why `shlex.split` refused a text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShlexError {
    NoClosingQuote,
    NoEscapedCharacter,
}

/// Python's `shlex.split(s)` (POSIX mode, no comments): words split on
/// space, tab, CR and LF; `'…'` is literal; in `"…"` a backslash escapes
/// only `"` and `\`; elsewhere a backslash escapes any character; quoted
/// parts join the word around them, and `""` alone is an empty word.
pub fn shlex_split(s: &str) -> Result<Vec<String>, ShlexError> {
    let mut words = Vec::new();
    let mut word = String::new();
    // A word is open once any character or quote of it was seen.
    let mut open = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\r' | '\n' => {
                if open {
                    words.push(std::mem::take(&mut word));
                    open = false;
                }
            }
            '\\' => {
                word.push(chars.next().ok_or(ShlexError::NoEscapedCharacter)?);
                open = true;
            }
            '\'' => {
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(q) => word.push(q),
                        None => return Err(ShlexError::NoClosingQuote),
                    }
                }
                open = true;
            }
            '"' => {
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e @ ('"' | '\\')) => word.push(e),
                            Some(e) => {
                                word.push('\\');
                                word.push(e);
                            }
                            None => return Err(ShlexError::NoClosingQuote),
                        },
                        Some(q) => word.push(q),
                        None => return Err(ShlexError::NoClosingQuote),
                    }
                }
                open = true;
            }
            other => {
                word.push(other);
                open = true;
            }
        }
    }
    if open {
        words.push(word);
    }
    Ok(words)
}

/// What Python's `int(text)` makes of a text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PyInt {
    /// Not an integer: `int()` raises ValueError.
    Invalid,
    /// An integer too large for 64 bits.
    Huge {
        negative: bool,
    },
    Value(i64),
}

/// The zero of every run of ten Unicode decimal digits (category Nd), as
/// Python 3.11's `unicodedata` lists them; `int()` accepts any of them.
const DIGIT_ZEROS: [u32; 66] = [
    0x30, 0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6, 0xd66,
    0xde6, 0xe50, 0xed0, 0xf20, 0x1040, 0x1090, 0x17e0, 0x1810, 0x1946, 0x19d0, 0x1a80, 0x1a90,
    0x1b50, 0x1bb0, 0x1c40, 0x1c50, 0xa620, 0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50, 0xabf0, 0xff10,
    0x104a0, 0x10d30, 0x11066, 0x110f0, 0x11136, 0x111d0, 0x112f0, 0x11450, 0x114d0, 0x11650,
    0x116c0, 0x11730, 0x118e0, 0x11950, 0x11c50, 0x11d50, 0x11da0, 0x16a60, 0x16ac0, 0x16b50,
    0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0,
];

fn decimal(c: char) -> Option<u32> {
    let cp = c as u32;
    let i = DIGIT_ZEROS.partition_point(|&z| z <= cp);
    let zero = *DIGIT_ZEROS.get(i.checked_sub(1)?)?;
    (cp - zero < 10).then_some(cp - zero)
}

/// Python's `int(text)` in base 10: white space around, an optional sign,
/// digits of any script, single underscores between digits.
pub fn python_int(text: &str) -> PyInt {
    let s = strip(text);
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let mut value: i64 = 0;
    let mut huge = false;
    let mut seen_digit = false;
    let mut after_underscore = false;
    for c in digits.chars() {
        if c == '_' {
            if !seen_digit || after_underscore {
                return PyInt::Invalid;
            }
            after_underscore = true;
            continue;
        }
        let Some(d) = decimal(c) else {
            return PyInt::Invalid;
        };
        seen_digit = true;
        after_underscore = false;
        match value
            .checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(d)))
        {
            Some(v) => value = v,
            None => huge = true,
        }
    }
    if !seen_digit || after_underscore {
        return PyInt::Invalid;
    }
    if huge {
        return PyInt::Huge { negative };
    }
    PyInt::Value(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shlex_like_python() {
        let ok = |s: &str, want: &[&str]| assert_eq!(shlex_split(s).unwrap(), want, "{s:?}");
        ok("profile a", &["profile", "a"]);
        ok("profile  \t team$ops", &["profile", "team$ops"]);
        ok("profile \"c d\"", &["profile", "c d"]);
        ok("profile 'a\\b'", &["profile", "a\\b"]);
        ok("profile \"a\\\"b\\x\"", &["profile", "a\"b\\x"]);
        ok("profile a\\ b", &["profile", "a b"]);
        ok("profile x\"y z\"w", &["profile", "xy zw"]);
        ok("profile \"\"", &["profile", ""]);
        ok("profile a b", &["profile", "a", "b"]);
        ok("profile a\u{a0}b", &["profile", "a\u{a0}b"]);
        ok("", &[]);
        assert_eq!(shlex_split("profile \"a"), Err(ShlexError::NoClosingQuote));
        assert_eq!(shlex_split("profile a'"), Err(ShlexError::NoClosingQuote));
        assert_eq!(
            shlex_split("profile a\\"),
            Err(ShlexError::NoEscapedCharacter)
        );
    }

    #[test]
    fn int_like_python() {
        for (text, want) in [
            ("3600", PyInt::Value(3600)),
            (" 3600\u{a0}", PyInt::Value(3600)),
            ("3_600", PyInt::Value(3600)),
            ("+0900", PyInt::Value(900)),
            ("-5", PyInt::Value(-5)),
            ("\u{663}\u{666}\u{660}\u{660}", PyInt::Value(3600)),
            ("\u{ff13}\u{ff16}\u{ff10}\u{ff10}", PyInt::Value(3600)),
            ("99999999999", PyInt::Value(99_999_999_999)),
            ("99999999999999999999", PyInt::Huge { negative: false }),
            ("_3600", PyInt::Invalid),
            ("3600_", PyInt::Invalid),
            ("3__600", PyInt::Invalid),
            ("3600.0", PyInt::Invalid),
            ("1h", PyInt::Invalid),
            ("", PyInt::Invalid),
            ("-", PyInt::Invalid),
            ("0x10", PyInt::Invalid),
            ("\u{b2}", PyInt::Invalid),
        ] {
            assert_eq!(python_int(text), want, "{text:?}");
        }
    }

    #[test]
    fn space_like_python() {
        for c in [
            '\u{a0}', '\u{1c}', '\u{1f}', '\u{85}', '\u{3000}', '\u{2028}', '\x0b',
        ] {
            assert!(is_space(c), "{c:?}");
        }
        for c in ['\u{200b}', '\u{feff}', '\u{180e}', 'x'] {
            assert!(!is_space(c), "{c:?}");
        }
        assert_eq!(strip("\u{a0} base\u{3000}\t"), "base");
        assert_eq!(indent("\u{a0} x"), 2);
    }
}
