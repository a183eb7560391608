//! Human output: colour (only on a terminal, never with NO_COLOR or
//! TERM=dumb) and short durations.

use std::io::IsTerminal;

use crate::Getenv;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Paint {
    Green,
    Yellow,
    Red,
    Bold,
    Dim,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    /// Colour when stdout is a terminal, `NO_COLOR` is unset or empty
    /// (<https://no-color.org>) and `TERM` is not `dumb`.
    pub fn for_stdout(getenv: Getenv) -> Style {
        Style {
            color: color_allowed(getenv) && std::io::stdout().is_terminal(),
        }
    }

    /// `text` wrapped in the escape codes for `paint`, or as is.
    pub fn paint(&self, paint: Paint, text: &str) -> String {
        if !self.color || text.is_empty() {
            return text.to_string();
        }
        let code = match paint {
            Paint::Green => "32",
            Paint::Yellow => "33",
            Paint::Red => "31",
            Paint::Bold => "1",
            Paint::Dim => "2",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }
}

/// The environment allows colour (the terminal check is separate).
pub fn color_allowed(getenv: Getenv) -> bool {
    let no_color = getenv("NO_COLOR").is_some_and(|v| !v.is_empty());
    let dumb = getenv("TERM").as_deref() == Some("dumb");
    !no_color && !dumb
}

/// `45s`, `12m`, `1h05m`, `2d03h`: two units at most, rounded down.
pub fn short_duration(secs: u64) -> String {
    let (d, h, m, s) = (
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60,
    );
    if d > 0 {
        format!("{d}d{h:02}h")
    } else if h > 0 {
        format!("{h}h{m:02}m")
    } else if m > 0 {
        format!("{m}m")
    } else {
        format!("{s}s")
    }
}

/// Pad `cell` (which may hold escape codes) to `width` visible characters.
pub fn pad(cell: &str, visible: usize, width: usize) -> String {
    let mut out = cell.to_string();
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(visible)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_short() {
        assert_eq!(short_duration(0), "0s");
        assert_eq!(short_duration(59), "59s");
        assert_eq!(short_duration(60), "1m");
        assert_eq!(short_duration(3599), "59m");
        assert_eq!(short_duration(3600 + 5 * 60 + 7), "1h05m");
        assert_eq!(short_duration(2 * 86_400 + 3 * 3600), "2d03h");
    }

    #[test]
    fn no_color_and_dumb_terminals_turn_colour_off() {
        assert!(color_allowed(&|_| None));
        assert!(color_allowed(&|k| (k == "NO_COLOR").then(String::new)));
        assert!(!color_allowed(&|k| (k == "NO_COLOR").then(|| "1".into())));
        assert!(!color_allowed(&|k| (k == "TERM").then(|| "dumb".into())));
        let on = Style { color: true };
        assert_eq!(on.paint(Paint::Red, "x"), "\x1b[31mx\x1b[0m");
        assert_eq!(Style { color: false }.paint(Paint::Red, "x"), "x");
    }
}
