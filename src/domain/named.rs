//! Enumerations a person picks by name (a flag's value, a field in a pane, a tool argument):
//! one list of names and help lines per type, which the command line's completions, the
//! cockpit's choice fields and the error messages all read.

/// A type with a fixed set of values, each with its name and a line of help.
pub trait Named: Sized + Copy + PartialEq + 'static {
    /// Every value in order, with its name (kebab-case) and what it means.
    const ALL: &'static [(Self, &'static str, &'static str)];

    fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(v, ..)| *v == self)
            .map_or("", |(_, n, _)| n)
    }

    /// The value with this name (case-insensitive; `_` counts as `-`).
    fn from_name(s: &str) -> Option<Self> {
        let t = s.trim().to_ascii_lowercase().replace('_', "-");
        Self::ALL.iter().find(|(_, n, _)| *n == t).map(|(v, ..)| *v)
    }

    /// The value with this name, or an error listing the names.
    fn parse_named(s: &str, what: &str) -> Result<Self, String> {
        Self::from_name(s).ok_or_else(|| {
            format!(
                "'{}' is not a {what}; use {}",
                s.trim(),
                Self::ALL
                    .iter()
                    .map(|(_, n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
    }

    /// The next (or previous) value, wrapping around.
    fn cycle(self, forward: bool) -> Self {
        let all = Self::ALL;
        let i = all.iter().position(|(v, ..)| *v == self).unwrap_or(0);
        let j = if forward {
            (i + 1) % all.len()
        } else {
            (i + all.len() - 1) % all.len()
        };
        all[j].0
    }
}
