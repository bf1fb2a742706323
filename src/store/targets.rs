//! Target mixes: one set per scope (the household, or one account), by asset class or by
//! symbol, replaced whole when set again.

use std::str::FromStr;

use rusqlite::{OptionalExtension, params};
use rust_decimal::Decimal;

use super::{Result, Store};

/// What a set's names are.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    Class,
    Symbol,
}

impl TargetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Class => "class",
            TargetKind::Symbol => "symbol",
        }
    }
}

impl FromStr for TargetKind {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "class" => Ok(TargetKind::Class),
            "symbol" => Ok(TargetKind::Symbol),
            other => Err(format!(
                "unknown target kind '{other}' (expected class or symbol)"
            )),
        }
    }
}

/// A stored set of targets.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetSet {
    /// None: the household (every account together); else the account's name.
    pub account: Option<String>,
    pub kind: TargetKind,
    /// Names and percents in the order given.
    pub weights: Vec<(String, Decimal)>,
    /// None: the config's bands.
    pub band_points: Option<Decimal>,
    pub band_pct: Option<Decimal>,
}

fn decimal(column: &'static str, text: &str) -> Result<Decimal> {
    Decimal::from_str(text).map_err(|_| super::corrupt("targets", 0, column, text))
}

impl Store {
    /// Every stored set, the household's first.
    pub fn target_sets(&self) -> Result<Vec<TargetSet>> {
        let mut stmt = self
            .conn
            .prepare("SELECT scope, kind, band_points, band_pct FROM target_sets ORDER BY scope")?;
        let heads: Vec<(String, String, Option<String>, Option<String>)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut out = Vec::with_capacity(heads.len());
        for (scope, kind, points, pct) in heads {
            let mut rows = self
                .conn
                .prepare("SELECT name, weight FROM targets WHERE scope = ?1 ORDER BY position")?;
            let weights = rows
                .query_map([&scope], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?
                .into_iter()
                .map(|(n, w)| Ok((n, decimal("weight", &w)?)))
                .collect::<Result<Vec<_>>>()?;
            out.push(TargetSet {
                account: Some(scope).filter(|s| !s.is_empty()),
                kind: kind
                    .parse()
                    .map_err(|_| super::corrupt("target_sets", 0, "kind", &kind))?,
                weights,
                band_points: points.map(|p| decimal("band_points", &p)).transpose()?,
                band_pct: pct.map(|p| decimal("band_pct", &p)).transpose()?,
            });
        }
        Ok(out)
    }

    /// Replaces the set of its scope, in one transaction.
    pub fn set_targets(&mut self, set: &TargetSet) -> Result<()> {
        let scope = set.account.clone().unwrap_or_default();
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM target_sets WHERE scope = ?1", [&scope])?;
        tx.execute(
            "INSERT INTO target_sets (scope, kind, band_points, band_pct) VALUES (?1, ?2, ?3, ?4)",
            params![
                scope,
                set.kind.as_str(),
                set.band_points.map(|d| d.to_string()),
                set.band_pct.map(|d| d.to_string())
            ],
        )?;
        for (i, (name, weight)) in set.weights.iter().enumerate() {
            tx.execute(
                "INSERT INTO targets (scope, position, name, weight) VALUES (?1, ?2, ?3, ?4)",
                params![scope, i as i64, name, weight.to_string()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Removes the set of a scope; false when there was none.
    pub fn clear_targets(&mut self, account: Option<&str>) -> Result<bool> {
        let scope = account.unwrap_or_default();
        let had = self
            .conn
            .query_row(
                "SELECT 1 FROM target_sets WHERE scope = ?1",
                [scope],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        self.conn
            .execute("DELETE FROM target_sets WHERE scope = ?1", [scope])?;
        Ok(had)
    }
}
