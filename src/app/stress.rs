//! "What would a crash do to me?": historical scenarios (2008, 2020, 2022 and the user's own)
//! and custom shocks by asset class or symbol, applied to today's holdings, per holding, per
//! account and in total, with the cash buffer. `folio stress`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::holdings::base;
use super::{Result, Session, bad};
use crate::analytics::stress::{self, Custom, Position, Scenario, Shocks, StressResult};
use crate::domain::securities::Securities;

/// The id of the run of custom shocks.
pub const CUSTOM: &str = "custom";

#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StressParams {
    /// A historical scenario: "2008" (global financial crisis), "2020" (COVID-19 crash), "2022"
    /// (inflation and rate shock), one from the user's stress_scenarios.toml, or "all".
    /// Default: all of them when no shock is given, none when one is.
    #[serde(default)]
    pub scenario: Option<String>,
    /// Custom shocks in percent by asset class or symbol, such as "US stocks=-30,VTI=-40". A
    /// symbol's shock wins over its class's; a holding neither names is not shocked (0%).
    /// Each shock is -100 or more.
    #[serde(default)]
    pub shock: Option<String>,
    /// Only this account (its name, matched case-insensitively). Default: every account.
    #[serde(default)]
    pub account: Option<String>,
    /// Stress the holdings at the end of this day (YYYY-MM-DD), valued at the latest close on or
    /// before it. Default: today.
    #[serde(default)]
    pub as_of: Option<NaiveDate>,
}

/// A shock a run applies to a class or a symbol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ShockFigure {
    /// The asset class or the symbol.
    pub name: String,
    /// "class" or "symbol".
    pub kind: String,
    /// Percent.
    pub pct: Decimal,
    /// The index or fund a historical figure measures (null for a custom shock).
    pub proxy: Option<String>,
    /// Where a historical figure comes from (null for a custom shock).
    pub source: Option<String>,
}

/// One scenario (or the custom shocks) applied to the holdings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ScenarioRun {
    /// The scenario's id, or "custom".
    pub id: String,
    pub title: String,
    /// The episode's first and last close (null for custom shocks).
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub description: String,
    /// Where the figures come from.
    pub source: String,
    /// The shocks applied: each class's figure, or the custom shocks given.
    pub shocks: Vec<ShockFigure>,
    /// Percent given to a holding whose class has no figure (null for custom shocks: such a
    /// holding is not shocked).
    pub default_pct: Option<Decimal>,
    /// What the default is ("the US stocks figure").
    pub default_note: Option<String>,
    #[serde(flatten)]
    pub result: StressResult,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct StressReport {
    /// The day whose holdings are stressed.
    pub as_of: NaiveDate,
    /// Every figure is in this currency; holdings in others are left out (see warnings).
    pub currency: String,
    /// The account asked for, as stored (null: every account).
    pub account: Option<String>,
    pub scenarios: Vec<ScenarioRun>,
    /// Holdings left out (no price, another currency), shocks that change nothing, and
    /// transactions the ledger cannot apply.
    pub warnings: Vec<String>,
}

/// The custom shocks of `text`, checked: each -100 or more, each name a class or a symbol held
/// or listed. Returns the shocks and what they are, in the order given.
fn custom_shocks(
    text: &str,
    securities: &Securities,
    held: &BTreeSet<String>,
) -> Result<(Custom, Vec<ShockFigure>)> {
    let pairs =
        crate::domain::weights::parse_pairs(text).map_err(|e| bad(format!("shock: {e}")))?;
    let mut custom = Custom::default();
    let mut figures = Vec::with_capacity(pairs.len());
    for (name, pct) in pairs {
        if pct < Decimal::from(-100) {
            return Err(bad(format!(
                "shock {name}={pct}%: a holding cannot lose more than all of it; use -100 or more"
            )));
        }
        let (name, kind) = match securities.resolve_class(&name) {
            Ok(class) => (class, "class"),
            Err(class_error) => {
                let symbol = name.trim().to_ascii_uppercase();
                if held.contains(&symbol) || securities.get(&symbol).is_some() {
                    (symbol, "symbol")
                } else {
                    let why = class_error
                        .split_once(": ")
                        .map_or(class_error.as_str(), |(_, rest)| rest);
                    return Err(bad(format!(
                        "shock \"{name}\" is neither a symbol held or listed in the securities table nor an asset class: {why}"
                    )));
                }
            }
        };
        let map = if kind == "class" {
            &mut custom.classes
        } else {
            &mut custom.symbols
        };
        if map.insert(name.clone(), pct).is_some() {
            return Err(bad(format!(
                "shock: {name} is given twice; give each class or symbol once"
            )));
        }
        figures.push(ShockFigure {
            name,
            kind: kind.into(),
            pct,
            proxy: None,
            source: None,
        });
    }
    Ok((custom, figures))
}

fn scenario_run(s: &Scenario, result: StressResult) -> ScenarioRun {
    ScenarioRun {
        id: s.id.clone(),
        title: s.title.clone(),
        from: Some(s.from),
        to: Some(s.to),
        description: s.description.clone(),
        source: s.source.clone(),
        shocks: s
            .returns
            .iter()
            .map(|(class, r)| ShockFigure {
                name: class.clone(),
                kind: "class".into(),
                pct: r.pct,
                proxy: Some(r.proxy.clone()),
                source: Some(r.source.clone()),
            })
            .collect(),
        default_pct: Some(s.default),
        default_note: Some(s.default_note.clone()),
        result,
    }
}

/// `folio stress`: scenarios and custom shocks applied to the holdings of a day.
pub fn stress(s: &Session, p: &StressParams) -> Result<StressReport> {
    let config = s.config();
    let scenarios = &config.stress_scenarios;
    let shock_text = p.shock.as_deref().filter(|t| !t.trim().is_empty());
    let chosen: Vec<&Scenario> = match p.scenario.as_deref().map(str::trim) {
        Some(id) if id.eq_ignore_ascii_case("all") => scenarios.all().iter().collect(),
        Some(id) => match scenarios.get(id) {
            Some(x) => vec![x],
            None => {
                return Err(bad(format!(
                    "unknown scenario \"{id}\": the scenarios are {} (or all); add one in a stress_scenarios.toml beside your config",
                    scenarios.ids().join(", ")
                )));
            }
        },
        None if shock_text.is_none() => scenarios.all().iter().collect(),
        None => Vec::new(),
    };
    if let Some(t) = p.shock.as_deref()
        && t.trim().is_empty()
    {
        return Err(bad(
            "shock: nothing given; write NAME=NUMBER pairs such as \"US stocks=-30,VTI=-40\"",
        ));
    }
    let b = base(s, p.account.as_deref(), p.as_of)?;
    let securities = &config.securities;
    let held: BTreeSet<String> = b.positions.iter().map(|x| x.symbol.clone()).collect();
    let custom = shock_text
        .map(|t| custom_shocks(t, securities, &held))
        .transpose()?;
    if b.positions.is_empty() {
        return Err(bad(match &b.account {
            Some(a) => format!(
                "nothing held to stress in {a} on {}: import transactions first",
                b.as_of
            ),
            None => format!(
                "nothing held to stress on {}: import transactions first",
                b.as_of
            ),
        }));
    }
    let mut warnings = b.warnings.clone();
    let mut positions = Vec::with_capacity(b.positions.len());
    let mut unpriced = Vec::new();
    let mut other = BTreeSet::new();
    for x in &b.positions {
        if x.currency != b.currency {
            other.insert(format!("{} ({})", x.symbol, x.currency));
            continue;
        }
        match b.marks.get(&x.symbol) {
            Some(m) => positions.push(Position {
                account: x.account.clone(),
                symbol: x.symbol.clone(),
                class: securities.class_of(&x.symbol).to_string(),
                value: (x.quantity * m.price).round_dp(2),
            }),
            None => unpriced.push(format!("{} in {}", x.symbol, x.account)),
        }
    }
    if !unpriced.is_empty() {
        warnings.push(format!(
            "no price on or before {} for {}: left out of the stress test (folio prices import FILE adds closes)",
            b.as_of,
            unpriced.join(", ")
        ));
    }
    if !other.is_empty() {
        warnings.push(format!(
            "held in another currency than {}: {}; left out of the stress test",
            b.currency,
            other.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    if positions.is_empty() {
        return Err(bad(format!(
            "nothing to stress: no holding in {} has a price on or before {}; import prices first (folio prices import FILE)",
            b.currency, b.as_of
        )));
    }
    let mut cash: BTreeMap<String, Decimal> = BTreeMap::new();
    for c in b.cash.iter().filter(|c| c.currency == b.currency) {
        *cash.entry(c.account.clone()).or_default() += c.balance;
    }
    let mut runs: Vec<ScenarioRun> = chosen
        .into_iter()
        .map(|sc| scenario_run(sc, stress::apply(&positions, &cash, Shocks::Scenario(sc))))
        .collect();
    if let Some((custom, figures)) = custom {
        let priced: BTreeSet<&str> = positions.iter().map(|x| x.symbol.as_str()).collect();
        for f in figures.iter().filter(|f| f.kind == "symbol") {
            if !priced.contains(f.name.as_str()) {
                warnings.push(format!(
                    "shock {}: {} is not among the holdings stressed, so its shock changes nothing",
                    f.name, f.name
                ));
            }
        }
        let described = figures
            .iter()
            .map(|f| format!("{} {}%", f.name, f.pct))
            .collect::<Vec<_>>()
            .join(", ");
        runs.push(ScenarioRun {
            id: CUSTOM.into(),
            title: "Custom shocks".into(),
            from: None,
            to: None,
            description: described,
            source: "given by the user; holdings they do not name are not shocked".into(),
            result: stress::apply(&positions, &cash, Shocks::Custom(&custom)),
            shocks: figures,
            default_pct: None,
            default_note: None,
        });
    }
    Ok(StressReport {
        as_of: b.as_of,
        currency: b.currency,
        account: b.account,
        scenarios: runs,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn held(symbols: &[&str]) -> BTreeSet<String> {
        symbols.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn shocks_resolve_classes_and_symbols() {
        let sec = Securities::bundled();
        let (c, figures) =
            custom_shocks("us stocks=-30, vti=-40%, XYZ=-100", &sec, &held(&["XYZ"])).unwrap();
        assert_eq!(c.classes, BTreeMap::from([("US stocks".into(), dec!(-30))]));
        assert_eq!(
            c.symbols,
            BTreeMap::from([("VTI".into(), dec!(-40)), ("XYZ".into(), dec!(-100))])
        );
        let kinds: Vec<(&str, &str)> = figures
            .iter()
            .map(|f| (f.name.as_str(), f.kind.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [("US stocks", "class"), ("VTI", "symbol"), ("XYZ", "symbol")]
        );
    }

    #[test]
    fn bad_shocks_name_the_value() {
        let sec = Securities::bundled();
        let none = held(&[]);
        let e = custom_shocks("US stocks=-120", &sec, &none).unwrap_err();
        assert_eq!(
            e.to_string(),
            "shock US stocks=-120%: a holding cannot lose more than all of it; use -100 or more"
        );
        let e = custom_shocks("Crypto=-50", &sec, &none)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("shock \"Crypto\" is neither a symbol") && e.contains("\"US bonds\""),
            "{e}"
        );
        let e = custom_shocks("US stocks", &sec, &none)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("shock: \"US stocks\""), "{e}");
    }
}
