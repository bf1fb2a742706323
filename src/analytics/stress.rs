//! Stress tests: historical scenarios (what each asset class returned over an episode, from
//! assets/stress_scenarios.toml and the user's override) and custom shocks by class or symbol,
//! applied to today's holdings. Pure: holdings, cash and shocks in, the losses out, in exact
//! money.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

const BUNDLED: &str = include_str!("../../assets/stress_scenarios.toml");

/// One asset class's return over an episode, and where the figure comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ClassReturn {
    /// Percent (-47.2 is -47.2%).
    pub pct: Decimal,
    /// The index or fund measured, and whether price or total return.
    pub proxy: String,
    /// The publisher and document the figure comes from.
    pub source: String,
}

/// A historical episode: each class's return over it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    pub id: String,
    pub title: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub description: String,
    /// One line on where the figures come from.
    pub source: String,
    /// By class name.
    pub returns: BTreeMap<String, ClassReturn>,
    /// Percent: the shock of a holding whose class has no figure (an unclassified symbol).
    pub default: Decimal,
    /// What the default is ("the US stocks figure").
    pub default_note: String,
}

impl Scenario {
    /// The figure of `class`, its name matched case-insensitively.
    pub fn return_of(&self, class: &str) -> Option<&ClassReturn> {
        self.returns.get(class).or_else(|| {
            self.returns
                .iter()
                .find(|(c, _)| c.eq_ignore_ascii_case(class))
                .map(|(_, r)| r)
        })
    }
}

/// The scenarios there are, in id order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenarios {
    list: Vec<Scenario>,
}

/// The bundled scenarios.
impl Default for Scenarios {
    fn default() -> Self {
        Scenarios::bundled()
    }
}

/// A scenario file that cannot be read: what is wrong and where (a byte range of the text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub span: Option<Range<usize>>,
}

impl ParseError {
    /// One line: the line of `text` it is on, and what is wrong.
    pub fn describe(&self, text: &str) -> String {
        match &self.span {
            Some(span) => {
                let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                let snippet = text.lines().nth(line - 1).unwrap_or("").trim();
                format!("line {line} (`{snippet}`): {}", self.message)
            }
            None => self.message.clone(),
        }
    }
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParseError {}

/// A scenario as written in the file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    title: String,
    from: toml::Spanned<String>,
    to: toml::Spanned<String>,
    description: String,
    source: String,
    default: toml::Spanned<Decimal>,
    default_note: String,
    #[serde(default)]
    returns: BTreeMap<String, RawReturn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReturn {
    pct: toml::Spanned<Decimal>,
    proxy: String,
    source: String,
}

impl Scenarios {
    /// The scenarios shipped with folio.
    pub fn bundled() -> Scenarios {
        Scenarios::parse(BUNDLED)
            .expect("assets/stress_scenarios.toml is valid (checked by a test)")
    }

    /// Reads a scenario file (the format is described in assets/stress_scenarios.toml).
    pub fn parse(text: &str) -> Result<Scenarios, ParseError> {
        let raw: BTreeMap<String, toml::Spanned<Raw>> =
            toml::from_str(text).map_err(|e| ParseError {
                message: e.message().trim().to_string(),
                span: e.span(),
            })?;
        let mut list = Vec::with_capacity(raw.len());
        for (id, spanned) in raw {
            let at = spanned.span();
            let r = spanned.into_inner();
            let id = id.trim().to_string();
            let bad = |message: String, span: Range<usize>| ParseError {
                message,
                span: Some(span),
            };
            if id.is_empty() || id.eq_ignore_ascii_case("all") || id.contains(',') {
                return Err(bad(
                    format!(
                        "\"{id}\" cannot be a scenario's id: use a word such as \"2008\" or \"my-crash\" (\"all\" means every scenario)"
                    ),
                    at,
                ));
            }
            let date = |d: &toml::Spanned<String>, what: &str| {
                NaiveDate::parse_from_str(d.get_ref().trim(), "%Y-%m-%d").map_err(|_| {
                    bad(
                        format!(
                            "scenario {id}: {what} \"{}\" is not a date; write it as \"2008-08-29\"",
                            d.get_ref()
                        ),
                        d.span(),
                    )
                })
            };
            let from = date(&r.from, "from")?;
            let to = date(&r.to, "to")?;
            if from > to {
                return Err(bad(
                    format!("scenario {id}: from {from} is after to {to}"),
                    r.from.span(),
                ));
            }
            let floor = Decimal::from(-100);
            if *r.default.get_ref() < floor {
                return Err(bad(
                    format!(
                        "scenario {id}: default {}% is below -100%; nothing loses more than all of itself",
                        r.default.get_ref()
                    ),
                    r.default.span(),
                ));
            }
            let mut returns = BTreeMap::new();
            for (class, figure) in r.returns {
                let pct = *figure.pct.get_ref();
                if pct < floor {
                    return Err(bad(
                        format!(
                            "scenario {id}, {class}: {pct}% is below -100%; nothing loses more than all of itself"
                        ),
                        figure.pct.span(),
                    ));
                }
                returns.insert(
                    class.trim().to_string(),
                    ClassReturn {
                        pct,
                        proxy: figure.proxy,
                        source: figure.source,
                    },
                );
            }
            list.push(Scenario {
                id,
                title: r.title,
                from,
                to,
                description: r.description,
                source: r.source,
                returns,
                default: *r.default.get_ref(),
                default_note: r.default_note,
            });
        }
        Ok(Scenarios { list })
    }

    /// These scenarios with `overrides` replacing them id by id (and adding new ids).
    pub fn merged(mut self, overrides: Scenarios) -> Scenarios {
        for s in overrides.list {
            match self.list.iter_mut().find(|x| x.id == s.id) {
                Some(x) => *x = s,
                None => self.list.push(s),
            }
        }
        self.list.sort_by(|a, b| a.id.cmp(&b.id));
        self
    }

    pub fn all(&self) -> &[Scenario] {
        &self.list
    }

    /// The scenario `id` (matched case-insensitively).
    pub fn get(&self, id: &str) -> Option<&Scenario> {
        let id = id.trim();
        self.list.iter().find(|s| s.id.eq_ignore_ascii_case(id))
    }

    pub fn ids(&self) -> Vec<&str> {
        self.list.iter().map(|s| s.id.as_str()).collect()
    }
}

/// A holding to stress: its value today in the report's currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub account: String,
    pub symbol: String,
    /// Its asset class (or "Unclassified").
    pub class: String,
    pub value: Decimal,
}

/// Shocks given by the user, in percent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Custom {
    /// By class name (as the securities table spells it).
    pub classes: BTreeMap<String, Decimal>,
    /// By symbol; a symbol's shock wins over its class's.
    pub symbols: BTreeMap<String, Decimal>,
}

/// What to apply.
#[derive(Debug, Clone, Copy)]
pub enum Shocks<'a> {
    Scenario(&'a Scenario),
    Custom(&'a Custom),
}

/// How a holding's shock was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// A shock given for the symbol.
    Symbol,
    /// The figure (or the shock given) for its asset class.
    Class,
    /// The scenario's default: the class has no figure (an unclassified symbol).
    Default,
    /// No custom shock names it or its class: 0%.
    NotShocked,
}

/// One holding under the shock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct HoldingShock {
    pub account: String,
    pub symbol: String,
    pub class: String,
    /// Its value today.
    pub value: Decimal,
    /// Percent.
    pub shock_pct: Decimal,
    /// value x shock, rounded to cents (negative is a loss).
    pub change: Decimal,
    pub value_after: Decimal,
    pub basis: Basis,
}

/// One account under the shock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct AccountShock {
    pub account: String,
    /// Its holdings' value today.
    pub value: Decimal,
    pub change: Decimal,
    /// The change as a percent of the holdings' value (null when that is 0).
    pub change_pct: Option<Decimal>,
    /// Its cash, which the shock leaves as it is.
    pub cash: Decimal,
}

/// Everything together.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct StressTotals {
    pub holdings_value: Decimal,
    pub change: Decimal,
    pub holdings_after: Decimal,
    /// The change as a percent of the holdings' value (null when that is 0).
    pub pct_of_holdings: Option<Decimal>,
    /// Holdings plus cash, today.
    pub net_worth: Decimal,
    pub net_worth_after: Decimal,
    /// The change as a percent of net worth (null when that is 0).
    pub pct_of_net_worth: Option<Decimal>,
}

/// What the cash does in the shock.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct CashBuffer {
    /// Unchanged by the shock.
    pub cash: Decimal,
    /// Cash as a percent of net worth after the shock (null when that is 0 or less).
    pub share_after_pct: Option<Decimal>,
    /// The loss (0 when the shock gains).
    pub loss: Decimal,
    /// Whether the cash is at least the loss.
    pub covers_loss: bool,
    /// Cash as a percent of the loss (null when there is no loss).
    pub pct_of_loss: Option<Decimal>,
}

impl CashBuffer {
    /// "Cash buffer 40,407.16: 16.70% of net worth after; covers 32.55% of the loss" (the
    /// command line and the Risk pane say it alike; the cash is what the shock leaves as it
    /// is).
    pub fn describe(&self) -> String {
        let money = crate::format::money;
        let share = self
            .share_after_pct
            .map_or(String::new(), |p| format!(": {p:.2}% of net worth after"));
        let covers = if self.loss.is_zero() {
            "; no loss to cover".to_string()
        } else if self.covers_loss {
            format!("; covers the loss of {}", money(self.loss))
        } else {
            format!(
                "; covers {} of the loss",
                self.pct_of_loss.map_or("-".into(), |p| format!("{p:.2}%"))
            )
        };
        format!("Cash buffer {}{share}{covers}", money(self.cash))
    }
}

/// A shock applied to a book.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct StressResult {
    /// By account and symbol, as given.
    pub holdings: Vec<HoldingShock>,
    /// By account name.
    pub accounts: Vec<AccountShock>,
    pub totals: StressTotals,
    pub cash_buffer: CashBuffer,
    /// Symbols given the scenario's default because their class has no figure (unclassified).
    pub defaulted: Vec<String>,
    /// Symbols no custom shock names (nor their class): left at 0%.
    pub not_shocked: Vec<String>,
}

/// `part` as a percent of `whole`, two decimals; None when `whole` is 0.
fn pct(part: Decimal, whole: Decimal) -> Option<Decimal> {
    (!whole.is_zero())
        .then(|| (part * Decimal::ONE_HUNDRED).checked_div(whole))
        .flatten()
        .map(|r| r.round_dp(2))
}

/// The shock of one holding and how it was chosen.
fn shock_of(p: &Position, shocks: Shocks) -> (Decimal, Basis) {
    match shocks {
        Shocks::Scenario(s) => match s.return_of(&p.class) {
            Some(r) => (r.pct, Basis::Class),
            None => (s.default, Basis::Default),
        },
        Shocks::Custom(c) => {
            if let Some(x) = c.symbols.get(&p.symbol) {
                (*x, Basis::Symbol)
            } else if let Some(x) = c.classes.get(&p.class).or_else(|| {
                c.classes
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(&p.class))
                    .map(|(_, v)| v)
            }) {
                (*x, Basis::Class)
            } else {
                (Decimal::ZERO, Basis::NotShocked)
            }
        }
    }
}

/// `shocks` applied to `holdings`, with the cash of each account (`cash`: account -> amount,
/// unchanged by the shock).
pub fn apply(
    holdings: &[Position],
    cash: &BTreeMap<String, Decimal>,
    shocks: Shocks,
) -> StressResult {
    let mut out = StressResult::default();
    let mut accounts: BTreeMap<&str, (Decimal, Decimal)> = BTreeMap::new();
    let mut defaulted = BTreeSet::new();
    let mut not_shocked = BTreeSet::new();
    for p in holdings {
        let (shock_pct, basis) = shock_of(p, shocks);
        let change = (p.value * shock_pct / Decimal::ONE_HUNDRED).round_dp(2);
        match basis {
            Basis::Default => {
                defaulted.insert(p.symbol.clone());
            }
            Basis::NotShocked => {
                not_shocked.insert(p.symbol.clone());
            }
            Basis::Symbol | Basis::Class => {}
        }
        let a = accounts.entry(&p.account).or_default();
        a.0 += p.value;
        a.1 += change;
        out.totals.holdings_value += p.value;
        out.totals.change += change;
        out.holdings.push(HoldingShock {
            account: p.account.clone(),
            symbol: p.symbol.clone(),
            class: p.class.clone(),
            value: p.value,
            shock_pct,
            change,
            value_after: p.value + change,
            basis,
        });
    }
    for a in cash.keys() {
        accounts.entry(a).or_default();
    }
    let total_cash: Decimal = cash.values().copied().sum();
    out.accounts = accounts
        .into_iter()
        .map(|(account, (value, change))| AccountShock {
            account: account.to_string(),
            value,
            change,
            change_pct: pct(change, value),
            cash: cash.get(account).copied().unwrap_or_default(),
        })
        .collect();
    let t = &mut out.totals;
    t.holdings_after = t.holdings_value + t.change;
    t.pct_of_holdings = pct(t.change, t.holdings_value);
    t.net_worth = t.holdings_value + total_cash;
    t.net_worth_after = t.net_worth + t.change;
    t.pct_of_net_worth = pct(t.change, t.net_worth);
    let loss = (-t.change).max(Decimal::ZERO);
    out.cash_buffer = CashBuffer {
        cash: total_cash,
        share_after_pct: pct(total_cash, t.net_worth_after)
            .filter(|_| t.net_worth_after > Decimal::ZERO),
        loss,
        covers_loss: total_cash >= loss,
        pct_of_loss: pct(total_cash, loss),
    };
    out.defaulted = defaulted.into_iter().collect();
    out.not_shocked = not_shocked.into_iter().collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::securities::Securities;
    use rust_decimal_macros::dec;

    fn position(account: &str, symbol: &str, class: &str, value: Decimal) -> Position {
        Position {
            account: account.into(),
            symbol: symbol.into(),
            class: class.into(),
            value,
        }
    }

    /// Brokerage: 2,000 of VTI (US stocks), 1,500 of BND (US bonds), 500 of XYZ (unlisted);
    /// 600 cash. Roth: 1,000 of VNQ (Real estate), 400 cash.
    fn book() -> (Vec<Position>, BTreeMap<String, Decimal>) {
        (
            vec![
                position("Brokerage", "VTI", "US stocks", dec!(2000)),
                position("Brokerage", "BND", "US bonds", dec!(1500)),
                position("Brokerage", "XYZ", "Unclassified", dec!(500)),
                position("Roth", "VNQ", "Real estate", dec!(1000)),
            ],
            BTreeMap::from([
                ("Brokerage".to_string(), dec!(600)),
                ("Roth".to_string(), dec!(400)),
            ]),
        )
    }

    #[test]
    fn every_class_of_the_securities_table_has_a_figure_in_every_bundled_scenario() {
        let scenarios = Scenarios::bundled();
        assert_eq!(scenarios.ids(), ["2008", "2020", "2022"]);
        for s in scenarios.all() {
            for class in Securities::bundled().classes() {
                let r = s
                    .returns
                    .get(class)
                    .unwrap_or_else(|| panic!("scenario {} has no figure for {class}", s.id));
                assert!(
                    !r.proxy.is_empty() && !r.source.is_empty(),
                    "{} {class}",
                    s.id
                );
                assert_eq!(r.pct, r.pct.round_dp(1), "{} {class}: one decimal", s.id);
            }
            assert_eq!(
                s.returns.len(),
                Securities::bundled().classes().len(),
                "{}: no figure for a class the table does not list",
                s.id
            );
            assert!(s.from < s.to && !s.title.is_empty() && !s.source.is_empty());
            assert_eq!(s.default, s.returns["US stocks"].pct, "{}", s.id);
        }
    }

    #[test]
    fn the_episodes_are_the_documented_ones() {
        let s = Scenarios::bundled();
        let d = |x: &str| NaiveDate::parse_from_str(x, "%Y-%m-%d").unwrap();
        let dates = |id: &str| {
            let x = s.get(id).unwrap();
            (x.from, x.to)
        };
        assert_eq!(dates("2008"), (d("2008-08-29"), d("2009-03-09")));
        assert_eq!(dates("2020"), (d("2020-02-19"), d("2020-03-23")));
        assert_eq!(dates("2022"), (d("2021-12-31"), d("2022-12-30")));
    }

    #[test]
    fn a_custom_shock_gives_the_hand_computed_loss() {
        let (holdings, cash) = book();
        let custom = Custom {
            classes: BTreeMap::from([("US stocks".to_string(), dec!(-30))]),
            symbols: BTreeMap::from([("BND".to_string(), dec!(-5))]),
        };
        let r = apply(&holdings, &cash, Shocks::Custom(&custom));
        // VTI 2,000 x -30% = -600; BND 1,500 x -5% = -75; XYZ and VNQ not shocked.
        let changes: Vec<(&str, Decimal, Basis)> = r
            .holdings
            .iter()
            .map(|h| (h.symbol.as_str(), h.change, h.basis))
            .collect();
        assert_eq!(
            changes,
            [
                ("VTI", dec!(-600), Basis::Class),
                ("BND", dec!(-75), Basis::Symbol),
                ("XYZ", dec!(0), Basis::NotShocked),
                ("VNQ", dec!(0), Basis::NotShocked),
            ]
        );
        assert_eq!(r.not_shocked, ["VNQ", "XYZ"]);
        assert!(r.defaulted.is_empty());
        let t = &r.totals;
        assert_eq!(t.holdings_value, dec!(5000));
        assert_eq!(t.change, dec!(-675));
        assert_eq!(t.holdings_after, dec!(4325));
        // -675 / 5,000 = -13.5%; with 1,000 cash: -675 / 6,000 = -11.25%.
        assert_eq!(t.pct_of_holdings, Some(dec!(-13.5)));
        assert_eq!(t.net_worth, dec!(6000));
        assert_eq!(t.net_worth_after, dec!(5325));
        assert_eq!(t.pct_of_net_worth, Some(dec!(-11.25)));
        // Brokerage: 4,000 of holdings lose 675 (-16.875% -> -16.88); Roth loses nothing.
        assert_eq!(
            r.accounts,
            [
                AccountShock {
                    account: "Brokerage".into(),
                    value: dec!(4000),
                    change: dec!(-675),
                    change_pct: Some(dec!(-16.88)),
                    cash: dec!(600),
                },
                AccountShock {
                    account: "Roth".into(),
                    value: dec!(1000),
                    change: dec!(0),
                    change_pct: Some(dec!(0)),
                    cash: dec!(400),
                },
            ]
        );
        // 1,000 of cash is 18.78% of 5,325 and covers the 675 loss (148.15% of it).
        assert_eq!(
            r.cash_buffer,
            CashBuffer {
                cash: dec!(1000),
                share_after_pct: Some(dec!(18.78)),
                loss: dec!(675),
                covers_loss: true,
                pct_of_loss: Some(dec!(148.15)),
            }
        );
    }

    #[test]
    fn a_symbol_shock_wins_over_its_class() {
        let (holdings, cash) = book();
        let custom = Custom {
            classes: BTreeMap::from([("US stocks".to_string(), dec!(-30))]),
            symbols: BTreeMap::from([("VTI".to_string(), dec!(-40))]),
        };
        let r = apply(&holdings, &cash, Shocks::Custom(&custom));
        assert_eq!(r.holdings[0].shock_pct, dec!(-40));
        assert_eq!(r.holdings[0].change, dec!(-800));
        assert_eq!(r.holdings[0].basis, Basis::Symbol);
    }

    #[test]
    fn a_scenario_shocks_each_class_by_its_figure_and_the_unclassified_by_the_default() {
        let (holdings, cash) = book();
        let scenarios = Scenarios::bundled();
        let s = scenarios.get("2008").unwrap();
        let r = apply(&holdings, &cash, Shocks::Scenario(s));
        for h in &r.holdings {
            let expected = match h.class.as_str() {
                "Unclassified" => s.default,
                c => s.returns[c].pct,
            };
            assert_eq!(h.shock_pct, expected, "{}", h.symbol);
        }
        // VTI 2,000 x -47.2% = -944; BND 1,500 x 2.2% = 33; XYZ 500 x -47.2% (the default) =
        // -236; VNQ 1,000 x -63.5% = -635. Total -1,782 of 5,000 = -35.64%; of 6,000 = -29.70%.
        let changes: Vec<Decimal> = r.holdings.iter().map(|h| h.change).collect();
        assert_eq!(changes, [dec!(-944), dec!(33), dec!(-236), dec!(-635)]);
        assert_eq!(r.holdings[2].basis, Basis::Default);
        assert_eq!(r.defaulted, ["XYZ"]);
        assert_eq!(r.totals.change, dec!(-1782));
        assert_eq!(r.totals.pct_of_holdings, Some(dec!(-35.64)));
        assert_eq!(r.totals.pct_of_net_worth, Some(dec!(-29.7)));
        // 1,000 of cash does not cover the 1,782 loss: 56.12% of it.
        assert!(!r.cash_buffer.covers_loss);
        assert_eq!(r.cash_buffer.pct_of_loss, Some(dec!(56.12)));
        // 1,000 / (6,000 - 1,782) = 23.71%.
        assert_eq!(r.cash_buffer.share_after_pct, Some(dec!(23.71)));
    }

    #[test]
    fn user_scenarios_replace_bundled_ones_by_id_and_add_new_ones() {
        let user = Scenarios::parse(
            "[2008]\ntitle = \"Mine\"\nfrom = \"2008-01-01\"\nto = \"2008-12-31\"\n\
             description = \"d\"\nsource = \"s\"\ndefault = -10\ndefault_note = \"n\"\n\
             [2008.returns.\"US stocks\"]\npct = -37\nproxy = \"p\"\nsource = \"s\"\n\
             [dotcom]\ntitle = \"Dot-com\"\nfrom = \"2000-03-24\"\nto = \"2002-10-09\"\n\
             description = \"d\"\nsource = \"s\"\ndefault = -49.1\ndefault_note = \"n\"\n",
        )
        .unwrap();
        let s = Scenarios::bundled().merged(user);
        assert_eq!(s.ids(), ["2008", "2020", "2022", "dotcom"]);
        assert_eq!(s.get("2008").unwrap().title, "Mine");
        assert_eq!(s.get("2008").unwrap().returns.len(), 1);
        assert_eq!(s.get("DOTCOM").unwrap().default, dec!(-49.1));
        // A class the user's scenario gives no figure for gets its default.
        let (holdings, cash) = book();
        let r = apply(&holdings, &cash, Shocks::Scenario(s.get("2008").unwrap()));
        assert_eq!(r.holdings[1].shock_pct, dec!(-10));
        assert_eq!(r.holdings[1].basis, Basis::Default);
        assert_eq!(r.defaulted, ["BND", "VNQ", "XYZ"]);
    }

    #[test]
    fn bad_files_name_the_line_and_the_value() {
        let text = "[x]\ntitle = \"t\"\nfrom = \"2008-01-01\"\nto = \"2008-12-31\"\n\
                    description = \"d\"\nsource = \"s\"\ndefault = -10\ndefault_note = \"n\"\n\
                    [x.returns.\"US stocks\"]\npct = -120\nproxy = \"p\"\nsource = \"s\"\n";
        let e = Scenarios::parse(text).unwrap_err();
        let line = e.describe(text);
        assert!(line.contains("-120% is below -100%"), "{line}");
        assert!(line.starts_with("line 10 (`pct = -120`)"), "{line}");
        let text = "[x]\ntitle = \"t\"\nfrom = \"2008-13-01\"\n";
        let e = Scenarios::parse(text).unwrap_err().describe(text);
        assert!(e.contains("missing field"), "{e}");
        let text = "[x]\ntitle = \"t\"\nfrom = \"2008-13-01\"\nto = \"2008-12-31\"\n\
                    description = \"d\"\nsource = \"s\"\ndefault = -10\ndefault_note = \"n\"\n";
        let e = Scenarios::parse(text).unwrap_err().describe(text);
        assert!(
            e.starts_with("line 3 ") && e.contains("\"2008-13-01\" is not a date"),
            "{e}"
        );
        let text = "[x]\ncolour = 3\n";
        let e = Scenarios::parse(text).unwrap_err().describe(text);
        assert!(
            e.starts_with("line 2 ") && e.contains("unknown field"),
            "{e}"
        );
    }

    #[test]
    fn an_empty_book_loses_nothing_and_its_cash_covers_it() {
        let r = apply(
            &[],
            &BTreeMap::from([("A".to_string(), dec!(100))]),
            Shocks::Scenario(Scenarios::bundled().get("2020").unwrap()),
        );
        assert_eq!(r.totals.change, dec!(0));
        assert_eq!(r.totals.pct_of_holdings, None);
        assert!(r.cash_buffer.covers_loss);
        assert_eq!(r.cash_buffer.pct_of_loss, None);
        assert_eq!(r.cash_buffer.share_after_pct, Some(dec!(100)));
    }
}
