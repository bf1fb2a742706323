//! A look-back period such as 90d, 6m, 1y or all: what `folio risk --window`, `[risk] window`
//! and the Risk pane's `w` key share.

use std::fmt;
use std::str::FromStr;

use chrono::{Days, Months, NaiveDate};

/// How far back a measurement looks from its last day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    Days(u32),
    Months(u32),
    /// Every day there is.
    All,
}

impl Window {
    /// The first day of the window ending on `to` (None: from the beginning).
    pub fn start(self, to: NaiveDate) -> Option<NaiveDate> {
        match self {
            Window::Days(n) => Some(
                to.checked_sub_days(Days::new(n.into()))
                    .unwrap_or(NaiveDate::MIN),
            ),
            Window::Months(n) => Some(
                to.checked_sub_months(Months::new(n))
                    .unwrap_or(NaiveDate::MIN),
            ),
            Window::All => None,
        }
    }
}

impl FromStr for Window {
    type Err = String;

    /// 90d, 12w, 6m, 1y (a whole number and a unit, d w m or y), or all; case-insensitive.
    fn from_str(s: &str) -> Result<Window, String> {
        let t = s.trim().to_ascii_lowercase();
        if t == "all" {
            return Ok(Window::All);
        }
        let bad = || {
            format!(
                "'{}' is not a window; use a whole number with d, w, m or y (90d, 6m, 1y, 3y) or all",
                s.trim()
            )
        };
        // The unit is the last character, whatever its width: "3é" is refused, not split inside
        // a character.
        let mut chars = t.chars();
        let unit = chars.next_back().ok_or_else(bad)?;
        let n: u32 = chars.as_str().parse().map_err(|_| bad())?;
        if n == 0 || n > 100 * 365 {
            return Err(bad());
        }
        match unit {
            'd' => Ok(Window::Days(n)),
            'w' => Ok(Window::Days(n * 7)),
            'm' => Ok(Window::Months(n)),
            'y' => Ok(Window::Months(n * 12)),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for Window {
    /// The shortest way to write it back: 90d, 6m, 1y, all.
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match *self {
            Window::Days(n) if n % 7 == 0 && n % 365 != 0 && n < 7 * 52 => write!(f, "{}w", n / 7),
            Window::Days(n) => write!(f, "{n}d"),
            Window::Months(n) if n % 12 == 0 => write!(f, "{}y", n / 12),
            Window::Months(n) => write!(f, "{n}m"),
            Window::All => f.write_str("all"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_parse_and_print_back() {
        for (text, w, back) in [
            ("90d", Window::Days(90), "90d"),
            ("2W", Window::Days(14), "2w"),
            ("6m", Window::Months(6), "6m"),
            (" 1y ", Window::Months(12), "1y"),
            ("ALL", Window::All, "all"),
        ] {
            assert_eq!(text.parse::<Window>(), Ok(w), "{text}");
            assert_eq!(w.to_string(), back);
        }
    }

    #[test]
    fn bad_windows_are_refused_without_panicking() {
        for text in [
            "",
            "d",
            "0d",
            "3é",
            "é",
            "1x",
            "-1y",
            "1.5y",
            "99999999y",
            "三",
        ] {
            let err = text.parse::<Window>().unwrap_err();
            assert!(err.contains("is not a window"), "{text}: {err}");
        }
    }

    #[test]
    fn a_window_starts_before_its_end() {
        let to: NaiveDate = "2026-03-31".parse().unwrap();
        assert_eq!(
            Window::Months(1).start(to),
            Some("2026-02-28".parse().unwrap())
        );
        assert_eq!(
            Window::Days(10).start(to),
            Some("2026-03-21".parse().unwrap())
        );
        assert_eq!(Window::All.start(to), None);
    }
}
