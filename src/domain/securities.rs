//! Reference data about securities (name, asset class, tracked index), from
//! assets/securities.toml. Pure: the text comes in, a lookup table comes out.

use std::collections::HashMap;

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
}

#[derive(Debug, Clone, Default)]
pub struct Securities(HashMap<String, Security>);

impl Securities {
    /// The reference data shipped with folio.
    pub fn bundled() -> Securities {
        Securities::parse(BUNDLED).expect("assets/securities.toml is valid (checked by a test)")
    }

    pub fn parse(text: &str) -> Result<Securities, toml::de::Error> {
        toml::from_str(text).map(Securities)
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
}
