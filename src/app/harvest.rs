//! "Which lots could I harvest, and what would it save?": the tax-loss harvest scan.

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Result, Session, bad};
use crate::analytics::harvest::{Harvest, Market, Settings, scan};

#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HarvestParams {
    /// Scan as of the end of this day (YYYY-MM-DD), at that day's closes. Default: today.
    #[serde(default)]
    pub as_of: Option<NaiveDate>,
    /// Only lots losing at least this much, in the report's currency. Default: [tax] min_loss.
    #[serde(default)]
    pub min_loss: Option<Decimal>,
    /// Only lots losing at least this percent of their value (0 to 100). Default: [tax]
    /// min_loss_pct.
    #[serde(default)]
    pub min_loss_pct: Option<Decimal>,
    /// Only this account's lots (the year's realized figures stay the whole return's).
    #[serde(default)]
    pub account: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct HarvestReport {
    #[serde(flatten)]
    pub harvest: Harvest,
    /// The account asked for (null: every taxable account).
    pub account: Option<String>,
    pub warnings: Vec<String>,
}

/// The thresholds of a scan: the config's, with the params' overrides checked.
pub fn settings(s: &Session, p: &HarvestParams) -> Result<Settings> {
    let mut settings = s.config().harvest_settings();
    if let Some(m) = p.min_loss {
        if m < Decimal::ZERO {
            return Err(bad(format!("min loss {m}: use an amount of 0 or more")));
        }
        settings.min_loss = m;
    }
    if let Some(pct) = p.min_loss_pct {
        if !(Decimal::ZERO..=Decimal::ONE_HUNDRED).contains(&pct) {
            return Err(bad(format!(
                "min loss pct {pct}: use a percent from 0 to 100"
            )));
        }
        settings.min_loss_pct = pct;
    }
    Ok(settings)
}

/// `folio harvest`: every open lot in a taxable account at a loss past the thresholds, valued
/// at the latest close on or before the day, ranked by net benefit.
pub fn harvest(s: &Session, p: &HarvestParams) -> Result<HarvestReport> {
    let settings = settings(s, p)?;
    let as_of = super::day(p.as_of, "as of")?.unwrap_or_else(|| s.today());
    let ledger = s.ledger()?;
    let account = ledger.account_filter(p.account.as_deref())?;
    let book = ledger.book_at(as_of);
    let txns = ledger.until(as_of);
    let since = as_of
        .checked_sub_days(Days::new(400))
        .ok_or_else(|| bad(format!("as of {as_of}: the date is out of range")))?;
    let (prices, mut closes) =
        s.read(|st| Ok((st.latest_closes(as_of)?, st.closes_since(since)?)))?;
    let prices = prices.into_iter().map(|(sym, (_, c))| (sym, c)).collect();
    for v in closes.values_mut() {
        v.retain(|(d, _)| *d <= as_of);
    }
    let market = Market {
        prices: &prices,
        closes: &closes,
    };
    let mut h = scan(&book, &ledger.policy, txns, &market, as_of, &settings);
    if let Some(a) = &account {
        h.candidates.retain(|c| &c.account == a);
        let worth = || h.candidates.iter().filter(|c| c.worth_harvesting);
        h.summary.candidates = worth().count();
        h.summary.harvestable_loss = worth().map(|c| c.allowed_loss).sum();
    }
    Ok(HarvestReport {
        harvest: h,
        account,
        warnings: ledger.warnings(),
    })
}
