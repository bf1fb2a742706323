//! Anomaly checks (../shared/TAX_AND_ANALYTICS.md section 5): robust statistical detectors on the
//! returns of the portfolio and its holdings, and data checks no other tool makes. Each finding
//! carries its value, its threshold, a severity and one line a person understands. Pure.
//!
//! The detectors score every day of a [`Panel`]; [`run`] keeps the days in the lookback window,
//! one finding per check and subject (its worst day, counting the others), so a volatile month
//! reads as one line rather than twenty.

pub mod cross;
pub mod data;
#[cfg(feature = "ml")]
pub mod lstm;
pub mod pca;
pub mod series;
pub mod synthetic;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// Every check folio makes.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    ReturnOutlier,
    VolatilitySpike,
    Turbulence,
    CorrelationRegime,
    Reconstruction,
    LstmReconstruction,
    Drawdown,
    Concentration,
    StaleQuote,
    NegativeCash,
    UnexplainedPosition,
    SplitJump,
}

impl Check {
    pub const ALL: [Check; 12] = [
        Check::ReturnOutlier,
        Check::VolatilitySpike,
        Check::Turbulence,
        Check::CorrelationRegime,
        Check::Reconstruction,
        Check::LstmReconstruction,
        Check::Drawdown,
        Check::Concentration,
        Check::StaleQuote,
        Check::NegativeCash,
        Check::UnexplainedPosition,
        Check::SplitJump,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Check::ReturnOutlier => "return_outlier",
            Check::VolatilitySpike => "volatility_spike",
            Check::Turbulence => "turbulence",
            Check::CorrelationRegime => "correlation_regime",
            Check::Reconstruction => "reconstruction",
            Check::LstmReconstruction => "lstm_reconstruction",
            Check::Drawdown => "drawdown",
            Check::Concentration => "concentration",
            Check::StaleQuote => "stale_quote",
            Check::NegativeCash => "negative_cash",
            Check::UnexplainedPosition => "unexplained_position",
            Check::SplitJump => "split_jump",
        }
    }

    /// What the check looks at, for the list of checks.
    pub fn describe(self) -> &'static str {
        match self {
            Check::ReturnOutlier => {
                "a day's return far from the median of the previous days (robust z)"
            }
            Check::VolatilitySpike => "short-term (EWMA) volatility against the year's volatility",
            Check::Turbulence => {
                "the day's returns of all holdings together against their usual spread (Mahalanobis)"
            }
            Check::CorrelationRegime => {
                "the last quarter's correlations against the year's, against their own history"
            }
            Check::Reconstruction => {
                "how badly the holdings' usual co-movement (PCA) explains the day"
            }
            Check::LstmReconstruction => {
                "how badly an LSTM autoencoder trained on the last year rebuilds the day (asked for with the lstm option)"
            }
            Check::Drawdown => "fall from the peak against the limits in the config",
            Check::Concentration => "the largest weight and the effective number of holdings",
            Check::StaleQuote => "holdings whose latest price is old",
            Check::NegativeCash => "cash below zero in an account and currency",
            Check::UnexplainedPosition => "broker positions the ledger cannot explain",
            Check::SplitJump => "a price jump in a split's ratio with no SPLIT in the ledger",
        }
    }
}

/// One thing that needs a person's attention.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Finding {
    pub check: Check,
    /// "portfolio", a symbol, or "account currency" for cash.
    pub subject: String,
    pub date: NaiveDate,
    pub value: f64,
    pub threshold: f64,
    pub severity: Severity,
    pub reason: String,
}

/// Every threshold: `[anomalies]` in the config (ratios are fractions, 0.15 is 15%).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    /// Calendar days before the as-of date whose days are reported.
    pub lookback_days: i64,
    /// Trailing returns the robust z of a day is measured against.
    pub outlier_window: usize,
    pub outlier_z: f64,
    pub vol_ratio_warning: f64,
    pub vol_ratio_critical: f64,
    /// Chi-square quantile of the turbulence index that counts as turbulent.
    pub turbulence_quantile: f64,
    /// Robust z of the correlation distance against its own history. Higher than the others: the
    /// distance moves slowly, so its own history understates how far it wanders.
    pub correlation_z: f64,
    /// Robust z of a day's reconstruction error against the training days'.
    pub reconstruction_z: f64,
    pub portfolio_drawdown_limit: f64,
    pub holding_drawdown_limit: f64,
    pub max_weight: f64,
    pub min_effective_holdings: f64,
    pub stale_days: i64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            lookback_days: 30,
            outlier_window: 63,
            outlier_z: 3.5,
            vol_ratio_warning: 1.5,
            vol_ratio_critical: 2.0,
            turbulence_quantile: 0.999,
            correlation_z: 5.0,
            reconstruction_z: 3.5,
            portfolio_drawdown_limit: 0.15,
            holding_drawdown_limit: 0.30,
            max_weight: 0.25,
            min_effective_holdings: 5.0,
            stale_days: 5,
        }
    }
}

impl Thresholds {
    /// The first key out of its range, as "anomalies.key is out of range; use ...".
    pub fn check(&self) -> Result<(), String> {
        let a = self;
        let bad = [
            (
                "lookback_days",
                (1..=3650).contains(&a.lookback_days),
                "1 to 3650",
            ),
            (
                "outlier_window",
                (20..=1000).contains(&a.outlier_window),
                "20 to 1000",
            ),
            ("outlier_z", (1.0..=20.0).contains(&a.outlier_z), "1 to 20"),
            (
                "vol_ratio_warning",
                (1.0..=10.0).contains(&a.vol_ratio_warning),
                "1 to 10",
            ),
            (
                "vol_ratio_critical",
                (a.vol_ratio_warning..=20.0).contains(&a.vol_ratio_critical),
                "vol_ratio_warning to 20",
            ),
            (
                "turbulence_quantile",
                (0.5..1.0).contains(&a.turbulence_quantile),
                "0.5 to below 1",
            ),
            (
                "correlation_z",
                (1.0..=20.0).contains(&a.correlation_z),
                "1 to 20",
            ),
            (
                "reconstruction_z",
                (1.0..=20.0).contains(&a.reconstruction_z),
                "1 to 20",
            ),
            (
                "portfolio_drawdown_limit",
                (0.01..=1.0).contains(&a.portfolio_drawdown_limit),
                "0.01 to 1",
            ),
            (
                "holding_drawdown_limit",
                (0.01..=1.0).contains(&a.holding_drawdown_limit),
                "0.01 to 1",
            ),
            (
                "max_weight",
                (0.01..=1.0).contains(&a.max_weight),
                "0.01 to 1",
            ),
            (
                "min_effective_holdings",
                (1.0..=1000.0).contains(&a.min_effective_holdings),
                "1 to 1000",
            ),
            ("stale_days", (1..=365).contains(&a.stale_days), "1 to 365"),
        ];
        match bad.iter().find(|(_, ok, _)| !ok) {
            Some((key, _, range)) => Err(format!("anomalies.{key} is out of range; use {range}")),
            None => Ok(()),
        }
    }
}

/// Daily returns of the holdings and the portfolio on common dates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Panel {
    /// The day each return ends on, ascending.
    pub dates: Vec<NaiveDate>,
    pub symbols: Vec<String>,
    /// Per symbol, one return per date; NaN where the symbol has no close that day or the day
    /// before.
    pub returns: Vec<Vec<f64>>,
    /// The portfolio's time-weighted daily return per date (NaN without one).
    pub portfolio: Vec<f64>,
}

impl Panel {
    /// Builds the panel from closes (ascending per symbol) and the portfolio's levels (a return
    /// index), on the union of their dates up to `as_of`.
    pub fn from_levels(
        symbols: &[(String, Vec<(NaiveDate, f64)>)],
        portfolio: &[(NaiveDate, f64)],
        as_of: NaiveDate,
    ) -> Panel {
        let mut dates: Vec<NaiveDate> = symbols
            .iter()
            .flat_map(|(_, v)| v.iter().map(|(d, _)| *d))
            .chain(portfolio.iter().map(|(d, _)| *d))
            .filter(|d| *d <= as_of)
            .collect();
        dates.sort_unstable();
        dates.dedup();
        let column = |levels: &[(NaiveDate, f64)]| -> Vec<f64> {
            let mut out = vec![f64::NAN; dates.len()];
            let mut j = 0;
            for (t, d) in dates.iter().enumerate() {
                while j < levels.len() && levels[j].0 < *d {
                    j += 1;
                }
                if t > 0
                    && j < levels.len()
                    && levels[j].0 == *d
                    && j > 0
                    && levels[j - 1].0 == dates[t - 1]
                {
                    let (a, b) = (levels[j - 1].1, levels[j].1);
                    if a > 0.0 && b > 0.0 {
                        out[t] = b / a - 1.0;
                    }
                }
            }
            out
        };
        let returns: Vec<Vec<f64>> = symbols.iter().map(|(_, v)| column(v)).collect();
        let portfolio = column(portfolio);
        // The first date starts the series and has no return: drop it.
        let drop_first = |mut v: Vec<f64>| {
            if !v.is_empty() {
                v.remove(0);
            }
            v
        };
        Panel {
            dates: dates.iter().skip(1).copied().collect(),
            symbols: symbols.iter().map(|(s, _)| s.clone()).collect(),
            returns: returns.into_iter().map(drop_first).collect(),
            portfolio: drop_first(portfolio),
        }
    }

    /// The first index whose date is inside the lookback window before `as_of`.
    pub fn scan_start(&self, as_of: NaiveDate, lookback_days: i64) -> usize {
        let from = as_of - chrono::Days::new(lookback_days.max(0) as u64);
        self.dates.partition_point(|d| *d <= from)
    }
}

/// A detector's verdict on one day of one series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub t: usize,
    pub value: f64,
    pub threshold: f64,
    pub severity: Severity,
}

impl Hit {
    /// Day `t`'s `value` when `size` (the value, or its magnitude for a two-sided test) is above
    /// `threshold`: a warning, critical past twice the threshold.
    pub fn exceeding(t: usize, value: f64, size: f64, threshold: f64) -> Option<Hit> {
        (size > threshold).then_some(Hit {
            t,
            value,
            threshold,
            severity: if size > 2.0 * threshold {
                Severity::Critical
            } else {
                Severity::Warning
            },
        })
    }
}

/// What [`run`] reports: each check with what it looked at, and the findings.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Report {
    pub as_of: NaiveDate,
    pub checks: Vec<CheckRun>,
    /// Most severe first, then newest.
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct CheckRun {
    pub check: Check,
    pub description: &'static str,
    /// Series, holdings or accounts looked at.
    pub subjects: usize,
    pub findings: usize,
    /// The threshold in the check's own unit (see the README).
    pub threshold: f64,
    /// Why it did not run, or ran on less than everything.
    pub note: Option<String>,
}

/// A symbol's closes (ascending) and the dates the ledger records splits of it on.
#[derive(Debug, Clone)]
pub struct Prices<'a> {
    pub symbol: &'a str,
    pub closes: &'a [(NaiveDate, f64)],
    pub splits: Vec<NaiveDate>,
}

/// Everything the suite looks at besides the returns.
#[derive(Debug, Clone, Default)]
pub struct Context<'a> {
    /// Holdings' values at the as-of date, by symbol.
    pub weights: Vec<(String, f64)>,
    /// (symbol, latest close date) of every holding.
    pub last_prices: Vec<(String, Option<NaiveDate>)>,
    /// (account, currency, balance) of every cash balance.
    pub cash: Vec<(String, String, f64)>,
    /// Broker positions that differ from the ledger's: (account, symbol, broker, ledger);
    /// None when no broker is connected.
    pub broker_differences: Option<Vec<(String, String, f64, f64)>>,
    /// Every symbol's closes, with the ledger's splits.
    pub prices: Vec<Prices<'a>>,
    /// Also run the LSTM autoencoder (built with the `ml` feature only; slower: it trains).
    pub learned: bool,
    /// Levels of the portfolio's return index for its drawdown.
    pub portfolio_levels: &'a [(NaiveDate, f64)],
}

/// Runs every check as of `as_of`.
pub fn run(panel: &Panel, ctx: &Context, as_of: NaiveDate, th: &Thresholds) -> Report {
    let start = panel.scan_start(as_of, th.lookback_days);
    let mut findings: Vec<Finding> = Vec::new();
    let mut checks: Vec<CheckRun> = Vec::new();
    let mut series_subjects: Vec<(&str, &[f64])> = vec![("portfolio", &panel.portfolio)];
    series_subjects.extend(
        panel
            .symbols
            .iter()
            .zip(&panel.returns)
            .map(|(s, r)| (s.as_str(), r.as_slice())),
    );
    let in_window = panel.dates.len() - start;
    let window_note = (in_window == 0).then(|| {
        format!(
            "no returns in the {} days before {as_of}: nothing to scan",
            th.lookback_days
        )
    });

    // Univariate detectors, on the portfolio and each holding.
    let mut outliers = Vec::new();
    let mut spikes = Vec::new();
    for (subject, r) in &series_subjects {
        let hits = series::return_outliers(r, start, th.outlier_window, th.outlier_z);
        outliers.extend(summarise(Check::ReturnOutlier, subject, &hits, panel, |h| {
            format!(
                "{subject} moved {:+.1}% on {}, {:.1} robust standard deviations from its usual day",
                r[h.t] * 100.0,
                panel.dates[h.t],
                h.value.abs()
            )
        }));
        let hits = series::volatility_spikes(r, start, th.vol_ratio_warning, th.vol_ratio_critical);
        spikes.extend(summarise(
            Check::VolatilitySpike,
            subject,
            &hits,
            panel,
            |h| {
                format!(
                    "{subject}'s recent volatility is {:.1}x its volatility over the year before",
                    h.value
                )
            },
        ));
    }
    checks.push(run_of(
        Check::ReturnOutlier,
        series_subjects.len(),
        &outliers,
        th.outlier_z,
        window_note.clone(),
    ));
    checks.push(run_of(
        Check::VolatilitySpike,
        series_subjects.len(),
        &spikes,
        th.vol_ratio_warning,
        window_note.clone(),
    ));
    findings.extend(outliers);
    findings.extend(spikes);

    // Cross-sectional detectors, on the holdings with full data.
    let (turb, note) = cross::turbulence(panel, start, th.turbulence_quantile);
    let found = summarise(Check::Turbulence, "portfolio", &turb.hits, panel, |h| {
        format!(
            "the holdings' returns on {} were jointly unusual for how they usually vary and co-move (turbulence {:.0}, above the {:.1}% chi-square level of {:.0})",
            panel.dates[h.t],
            h.value,
            th.turbulence_quantile * 100.0,
            h.threshold
        )
    });
    checks.push(run_of(
        Check::Turbulence,
        turb.symbols,
        found.as_slice(),
        turb.threshold,
        note.or(window_note.clone()),
    ));
    findings.extend(found);

    let (reg, note) = cross::correlation_regime(panel, start, th.correlation_z);
    let found = summarise(
        Check::CorrelationRegime,
        "portfolio",
        &reg.hits,
        panel,
        |h| {
            format!(
                "the holdings' correlations over the last quarter differ from the year's more than usual (z {:.1})",
                h.value
            )
        },
    );
    checks.push(run_of(
        Check::CorrelationRegime,
        reg.symbols,
        found.as_slice(),
        th.correlation_z,
        note.or(window_note.clone()),
    ));
    findings.extend(found);

    let (rec, note) = pca::scan(panel, start, th.reconstruction_z);
    let found = summarise(Check::Reconstruction, "portfolio", &rec.hits, panel, |h| {
        format!(
            "the day's returns on {} do not fit how the holdings usually move together (z {:.1})",
            panel.dates[h.t], h.value
        )
    });
    checks.push(run_of(
        Check::Reconstruction,
        rec.symbols,
        found.as_slice(),
        th.reconstruction_z,
        note.or(window_note.clone()),
    ));
    findings.extend(found);
    if ctx.learned {
        let (found, run) = learned(panel, start, th, window_note);
        checks.push(run);
        findings.extend(found);
    }

    // Limits and data checks.
    let dd = data::drawdowns(ctx, as_of, th);
    checks.push(run_of(
        Check::Drawdown,
        ctx.weights.len() + 1,
        &dd,
        th.holding_drawdown_limit,
        None,
    ));
    findings.extend(dd);
    let conc = data::concentration(&ctx.weights, as_of, th);
    checks.push(run_of(
        Check::Concentration,
        ctx.weights.len(),
        &conc,
        th.max_weight,
        None,
    ));
    findings.extend(conc);
    let stale = data::stale(&ctx.last_prices, as_of, th.stale_days);
    checks.push(run_of(
        Check::StaleQuote,
        ctx.last_prices.len(),
        &stale,
        th.stale_days as f64,
        None,
    ));
    findings.extend(stale);
    let cash = data::negative_cash(&ctx.cash, as_of);
    checks.push(run_of(
        Check::NegativeCash,
        ctx.cash.len(),
        &cash,
        0.0,
        None,
    ));
    findings.extend(cash);
    let (broker, note) = match &ctx.broker_differences {
        Some(d) => (data::unexplained(d, as_of), None),
        None => (
            Vec::new(),
            Some(
                "no broker connected: the comparison with TWS or IB Gateway runs when asked for"
                    .to_string(),
            ),
        ),
    };
    checks.push(run_of(
        Check::UnexplainedPosition,
        ctx.broker_differences.as_ref().map_or(0, Vec::len),
        &broker,
        0.0,
        note,
    ));
    findings.extend(broker);
    let splits = data::split_jumps(&ctx.prices);
    checks.push(run_of(
        Check::SplitJump,
        ctx.prices.len(),
        &splits,
        data::SPLIT_TOLERANCE,
        None,
    ));
    findings.extend(splits);

    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.date.cmp(&a.date))
            .then(a.check.cmp(&b.check))
            .then(a.subject.cmp(&b.subject))
    });
    Report {
        as_of,
        checks,
        findings,
    }
}

/// The LSTM autoencoder's check (`ml` builds).
#[cfg(feature = "ml")]
fn learned(
    panel: &Panel,
    start: usize,
    th: &Thresholds,
    window_note: Option<String>,
) -> (Option<Finding>, CheckRun) {
    /// Fixed, so the same data gives the same findings.
    const SEED: u64 = 7;
    let (scan, note) = lstm::scan(panel, start, th.reconstruction_z, SEED);
    let found = summarise(
        Check::LstmReconstruction,
        "portfolio",
        &scan.hits,
        panel,
        |h| {
            format!(
                "the LSTM autoencoder rebuilds {} badly: the holdings did not move as they did over the last year (z {:.1})",
                panel.dates[h.t], h.value
            )
        },
    );
    let run = run_of(
        Check::LstmReconstruction,
        scan.symbols,
        found.as_slice(),
        th.reconstruction_z,
        note.or(window_note),
    );
    (found, run)
}

/// Without the `ml` feature there is no LSTM: the check says how to get it.
#[cfg(not(feature = "ml"))]
fn learned(_: &Panel, _: usize, th: &Thresholds, _: Option<String>) -> (Option<Finding>, CheckRun) {
    let note = "this folio was built without the ml feature";
    let run = run_of(
        Check::LstmReconstruction,
        0,
        &[],
        th.reconstruction_z,
        Some(note.into()),
    );
    (None, run)
}

fn run_of(
    check: Check,
    subjects: usize,
    found: &[Finding],
    threshold: f64,
    note: Option<String>,
) -> CheckRun {
    CheckRun {
        check,
        description: check.describe(),
        subjects,
        findings: found.len(),
        threshold,
        note,
    }
}

/// One finding for a subject's hits: the worst day, with how many others there were.
fn summarise(
    check: Check,
    subject: &str,
    hits: &[Hit],
    panel: &Panel,
    reason: impl Fn(&Hit) -> String,
) -> Option<Finding> {
    let worst = hits.iter().max_by(|a, b| {
        a.severity.cmp(&b.severity).then(
            (a.value.abs() / a.threshold.abs().max(1e-12))
                .total_cmp(&(b.value.abs() / b.threshold.abs().max(1e-12))),
        )
    })?;
    let mut text = reason(worst);
    if hits.len() > 1 {
        text.push_str(&format!(
            " (and {} other day{})",
            hits.len() - 1,
            if hits.len() == 2 { "" } else { "s" }
        ));
    }
    Some(Finding {
        check,
        subject: subject.to_string(),
        date: panel.dates[worst.t],
        value: worst.value,
        threshold: worst.threshold,
        severity: worst.severity,
        reason: text,
    })
}

/// Counts findings per severity, for the status bar and the dashboard.
pub fn counts(findings: &[Finding]) -> BTreeMap<Severity, usize> {
    let mut out = BTreeMap::new();
    for f in findings {
        *out.entry(f.severity).or_default() += 1;
    }
    out
}

/// The median of `v` (reorders it); NaN when empty.
pub fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let n = v.len();
    let (_, m, _) = v.select_nth_unstable_by(n / 2, f64::total_cmp);
    let m = *m;
    if n % 2 == 1 {
        return m;
    }
    let lower = v[..n / 2].iter().copied().fold(f64::MIN, f64::max);
    (lower + m) / 2.0
}

/// Robust z of `x` against `history`: (x - median) / (1.4826 MAD). None when the history does
/// not vary.
pub fn robust_z(x: f64, history: &[f64]) -> Option<f64> {
    let mut h: Vec<f64> = history.iter().copied().filter(|v| v.is_finite()).collect();
    if h.len() < 10 {
        return None;
    }
    let med = median(&mut h);
    for v in h.iter_mut() {
        *v = (*v - med).abs();
    }
    let mad = median(&mut h) * 1.4826;
    (mad > 0.0).then(|| (x - med) / mad)
}
