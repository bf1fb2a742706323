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

#[derive(Debug, Clone, PartialEq)]
pub struct Securities(HashMap<String, Security>);

/// The bundled table.
impl Default for Securities {
    fn default() -> Self {
        Securities::bundled()
    }
}

impl Securities {
    /// No reference data: every symbol unclassified and substantially identical only to itself.
    pub fn empty() -> Securities {
        Securities(HashMap::new())
    }

    /// The reference data shipped with folio.
    pub fn bundled() -> Securities {
        Securities::parse(BUNDLED).expect("assets/securities.toml is valid (checked by a test)")
    }

    pub fn parse(text: &str) -> Result<Securities, toml::de::Error> {
        let table: BTreeMap<String, Security> = toml::from_str(text)?;
        Ok(Securities(
            table
                .into_iter()
                .map(|(k, v)| (k.trim().to_ascii_uppercase(), v))
                .collect(),
        ))
    }

    /// These entries with `overrides` replacing them symbol by symbol.
    pub fn merged(mut self, overrides: Securities) -> Securities {
        self.0.extend(overrides.0);
        self
    }

    pub fn get(&self, symbol: &str) -> Option<&Security> {
        self.0.get(symbol)
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
            Some(Security { group: Some(g), .. }) if !g.trim().is_empty() => g,
            Some(s) if !s.index.trim().is_empty() => &s.index,
            _ => symbol,
        }
    }

    /// Every listed symbol substantially identical to `symbol`, itself included, sorted.
    pub fn identical_to(&self, symbol: &str) -> Vec<String> {
        let group = self.group_of(symbol);
        let mut out: Vec<String> = self
            .0
            .keys()
            .filter(|s| self.group_of(s) == group)
            .cloned()
            .collect();
        if !out.iter().any(|s| s == symbol) {
            out.push(symbol.to_string());
        }
        out.sort();
        out
    }

    /// Listed symbols in `symbol`'s asset class that are not substantially identical to it:
    /// the candidates to replace it after a loss sale. Sorted.
    pub fn peers(&self, symbol: &str) -> Vec<&str> {
        let Some(me) = self.get(symbol) else {
            return Vec::new();
        };
        let group = self.group_of(symbol);
        let mut out: Vec<&str> = self
            .0
            .iter()
            .filter(|(s, sec)| sec.class == me.class && self.group_of(s) != group)
            .map(|(s, _)| s.as_str())
            .collect();
        out.sort_unstable();
        out
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
