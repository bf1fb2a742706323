//! Reference data about securities (name, asset class, tracked index, group of substantially
//! identical symbols), from assets/securities.toml and the user's override. Pure: the text comes
//! in, a lookup table comes out.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

const BUNDLED: &str = include_str!("../../assets/securities.toml");

/// The class shown for a symbol the reference data does not list.
pub const UNCLASSIFIED: &str = "Unclassified";

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Security {
    pub name: String,
    pub class: String,
    /// The index a fund tracks; empty for single stocks.
    #[serde(default)]
    pub index: String,
    /// The group of substantially identical securities, when it is not the index (share classes
    /// of one issuer).
    #[serde(default)]
    pub group: Option<String>,
}

/// The table, indexed by group and by class (the harvest scan asks both for every lot).
#[derive(Debug, Clone, PartialEq)]
pub struct Securities {
    table: HashMap<String, Security>,
    /// Group key -> its listed symbols, sorted.
    groups: HashMap<String, Vec<String>>,
    /// Class -> its listed symbols, sorted.
    classes: HashMap<String, Vec<String>>,
}

/// The bundled table.
impl Default for Securities {
    fn default() -> Self {
        Securities::bundled()
    }
}

impl Securities {
    /// No reference data: every symbol unclassified and substantially identical only to itself.
    pub fn empty() -> Securities {
        Securities::index(HashMap::new())
    }

    fn index(mut table: HashMap<String, Security>) -> Securities {
        for sec in table.values_mut() {
            sec.index = sec.index.trim().to_string();
            sec.group = sec
                .group
                .take()
                .map(|g| g.trim().to_string())
                .filter(|g| !g.is_empty());
        }
        let mut groups: HashMap<String, Vec<String>> = HashMap::new();
        let mut classes: HashMap<String, Vec<String>> = HashMap::new();
        for (symbol, sec) in &table {
            let group = match (&sec.group, sec.index.as_str()) {
                (Some(g), _) => g.clone(),
                (None, "") => symbol.clone(),
                (None, index) => index.to_string(),
            };
            groups.entry(group).or_default().push(symbol.clone());
            classes
                .entry(sec.class.clone())
                .or_default()
                .push(symbol.clone());
        }
        for v in groups.values_mut().chain(classes.values_mut()) {
            v.sort_unstable();
        }
        Securities {
            table,
            groups,
            classes,
        }
    }

    /// The reference data shipped with folio.
    pub fn bundled() -> Securities {
        Securities::parse(BUNDLED).expect("assets/securities.toml is valid (checked by a test)")
    }

    pub fn parse(text: &str) -> Result<Securities, toml::de::Error> {
        let table: BTreeMap<String, Security> = toml::from_str(text)?;
        Ok(Securities::index(
            table
                .into_iter()
                .map(|(k, v)| (k.trim().to_ascii_uppercase(), v))
                .collect(),
        ))
    }

    /// These entries with `overrides` replacing them symbol by symbol.
    pub fn merged(mut self, overrides: Securities) -> Securities {
        self.table.extend(overrides.table);
        Securities::index(self.table)
    }

    pub fn get(&self, symbol: &str) -> Option<&Security> {
        self.table.get(symbol)
    }

    /// The asset class, or [`UNCLASSIFIED`].
    pub fn class_of(&self, symbol: &str) -> &str {
        self.get(symbol).map_or(UNCLASSIFIED, |s| s.class.as_str())
    }

    pub fn name_of(&self, symbol: &str) -> Option<&str> {
        self.get(symbol).map(|s| s.name.as_str())
    }

    /// The key shared by every symbol substantially identical to `symbol`: its `group`, else the
    /// index it tracks, else the symbol itself. Group keys and symbols live in one namespace;
    /// a group key is never mistaken for a ticker because tickers have no spaces and the
    /// bundled groups do (a user's one-word group works too: it only has to differ from tickers).
    pub fn group_of<'a>(&'a self, symbol: &'a str) -> &'a str {
        match self.get(symbol) {
            Some(Security { group: Some(g), .. }) => g,
            Some(s) if !s.index.is_empty() => &s.index,
            _ => symbol,
        }
    }

    /// Every listed symbol substantially identical to `symbol`, itself included, sorted.
    pub fn identical_to(&self, symbol: &str) -> Vec<String> {
        let mut out = self
            .groups
            .get(self.group_of(symbol))
            .cloned()
            .unwrap_or_default();
        if let Err(at) = out.binary_search_by(|s| s.as_str().cmp(symbol)) {
            out.insert(at, symbol.to_string());
        }
        out
    }

    /// Every asset class the table lists, sorted.
    pub fn classes(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.classes.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }

    /// The listed symbols of `class`, sorted (empty for a class the table does not list).
    pub fn in_class(&self, class: &str) -> &[String] {
        self.classes.get(class).map_or(&[], Vec::as_slice)
    }

    /// The class `name` means: a listed class (or [`UNCLASSIFIED`]) matched case-insensitively.
    /// The error names the value and the classes there are, with the ones `name` starts (so
    /// "International" suggests "International bonds" and "International stocks").
    pub fn resolve_class(&self, name: &str) -> Result<String, String> {
        let name = name.trim();
        let mut all = self.classes();
        all.push(UNCLASSIFIED);
        if let Some(c) = all.iter().find(|c| c.eq_ignore_ascii_case(name)) {
            return Ok((*c).to_string());
        }
        let lower = name.to_lowercase();
        let close: Vec<&str> = all
            .iter()
            .copied()
            .filter(|c| !lower.is_empty() && c.to_lowercase().starts_with(&lower))
            .collect();
        let quoted = |v: &[&str]| {
            v.iter()
                .map(|c| format!("\"{c}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        Err(if close.is_empty() {
            format!(
                "unknown asset class \"{name}\": the classes are {} (add one in a securities.toml beside your config)",
                quoted(&all)
            )
        } else {
            format!(
                "unknown asset class \"{name}\": did you mean {}?",
                quoted(&close)
            )
        })
    }

    /// Listed symbols in `symbol`'s asset class that are not substantially identical to it:
    /// the candidates to replace it after a loss sale. Sorted.
    pub fn peers(&self, symbol: &str) -> Vec<&str> {
        let Some(me) = self.get(symbol) else {
            return Vec::new();
        };
        let group = self.group_of(symbol);
        self.classes[&me.class]
            .iter()
            .map(String::as_str)
            .filter(|s| self.group_of(s) != group)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_data_parses_and_classifies_the_demo_symbols() {
        let s = Securities::bundled();
        for sym in [
            "VTI", "ITOT", "VOO", "VXUS", "VEA", "IEFA", "VWO", "IEMG", "BND", "AGG", "AAPL",
            "MSFT", "JNJ",
        ] {
            assert_ne!(s.class_of(sym), UNCLASSIFIED, "{sym}");
        }
        assert_eq!(s.class_of("BND"), "US bonds");
        assert_eq!(s.class_of("NOPE"), UNCLASSIFIED);
        assert_eq!(s.name_of("VTI"), Some("Vanguard Total Stock Market ETF"));
    }

    #[test]
    fn groups_follow_the_index_or_the_explicit_group_or_the_symbol() {
        let s = Securities::bundled();
        assert_eq!(
            s.identical_to("VOO"),
            ["IVV", "SPLG", "SPY", "VFIAX", "VOO"]
        );
        assert_eq!(s.identical_to("GOOGL"), ["GOOG", "GOOGL"]);
        assert_eq!(s.identical_to("AAPL"), ["AAPL"]);
        assert_eq!(s.identical_to("XYZ"), ["XYZ"]);
        assert_eq!(s.group_of("VTI"), s.group_of("VTSAX"));
        assert_ne!(s.group_of("VTI"), s.group_of("ITOT"));
        assert_ne!(s.group_of("VEA"), s.group_of("IEFA"));
        let peers = s.peers("VTI");
        assert!(
            peers.contains(&"ITOT") && peers.contains(&"SCHB"),
            "{peers:?}"
        );
        assert!(
            !peers.contains(&"VTSAX") && !peers.contains(&"VTI"),
            "{peers:?}"
        );
        assert!(!peers.contains(&"BND"), "{peers:?}");
        assert!(s.peers("XYZ").is_empty());
    }

    #[test]
    fn user_entries_replace_bundled_ones() {
        let user = Securities::parse(
            "vti = { name = \"Mine\", class = \"US stocks\", index = \"\", group = \"total\" }\n\
             ITOT = { name = \"Also mine\", class = \"US stocks\", group = \"total\" }\n",
        )
        .unwrap();
        let s = Securities::bundled().merged(user);
        assert_eq!(s.name_of("VTI"), Some("Mine"));
        assert_eq!(s.identical_to("VTI"), ["ITOT", "VTI"]);
        assert_eq!(s.name_of("VOO"), Some("Vanguard S&P 500 ETF"));
    }
}
