//! The latest quote per symbol as the app knows it, which cells are flashing, and which quotes
//! still have to be written to the database.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, TimeDelta, Utc};

use crate::domain::{Quote, QuoteSource};
use crate::market::feed::FeedState;

/// How long a changed cell stays highlighted.
pub const FLASH: TimeDelta = TimeDelta::milliseconds(600);

#[derive(Debug, Default)]
pub struct Quotes {
    pub latest: HashMap<String, Quote>,
    /// Symbol -> (highlight until, moved up).
    flashes: HashMap<String, (DateTime<Utc>, bool)>,
    /// The running feed, if any.
    pub source: Option<QuoteSource>,
    pub state: Option<FeedState>,
    /// Symbols the feed cannot stream, with the reason.
    pub errors: BTreeMap<String, String>,
    /// The broker's accounts (net liquidation, cash), when the feed is a broker.
    pub accounts: Vec<crate::market::feed::BrokerAccount>,
    unsaved: HashMap<String, Quote>,
}

impl Quotes {
    /// Takes new quotes; a changed last price flashes from `now`.
    pub fn apply(&mut self, quotes: Vec<Quote>, now: DateTime<Utc>) {
        for q in quotes {
            if let Some(old) = self.latest.get(&q.symbol)
                && old.last != q.last
            {
                self.flashes
                    .insert(q.symbol.clone(), (now + FLASH, q.last > old.last));
            }
            self.errors.remove(&q.symbol);
            self.unsaved.insert(q.symbol.clone(), q.clone());
            self.latest.insert(q.symbol.clone(), q);
        }
    }

    /// Seeds quotes read from the database (no flash, nothing to save).
    pub fn restore(&mut self, quotes: Vec<Quote>) {
        for q in quotes {
            self.latest.insert(q.symbol.clone(), q);
        }
    }

    /// Whether `symbol`'s cells flash at `now`, and up (true) or down.
    pub fn flash(&self, symbol: &str, now: DateTime<Utc>) -> Option<bool> {
        self.flashes
            .get(symbol)
            .filter(|(until, _)| now < *until)
            .map(|(_, up)| *up)
    }

    /// Forgets ended flashes; returns the end of the next one still running.
    pub fn expire(&mut self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.flashes.retain(|_, (until, _)| now < *until);
        self.flashes.values().map(|(until, _)| *until).min()
    }

    /// Time of the newest quote.
    pub fn newest(&self) -> Option<DateTime<Utc>> {
        self.latest.values().map(|q| q.time).max()
    }

    pub fn has_unsaved(&self) -> bool {
        !self.unsaved.is_empty()
    }

    /// The quotes that changed since the last call, one per symbol.
    pub fn take_unsaved(&mut self) -> Vec<Quote> {
        let mut v: Vec<Quote> = self.unsaved.drain().map(|(_, q)| q).collect();
        v.sort_by(|a, b| a.symbol.cmp(&b.symbol));
        v
    }
}

/// "just now", "42s ago", "5m ago", "3h ago", "2d ago".
pub fn age(then: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let s = (now - then).num_seconds().max(0);
    match s {
        0 => "just now".into(),
        1..60 => format!("{s}s ago"),
        60..3600 => format!("{}m ago", s / 60),
        3600..86400 => format!("{}h ago", s / 3600),
        _ => format!("{}d ago", s / 86400),
    }
}

/// When `age(then, ·)` next changes after `now`.
pub fn age_changes_at(then: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
    let s = (now - then).num_seconds().max(0);
    let unit = match s {
        0..60 => 1,
        60..3600 => 60,
        3600..86400 => 3600,
        _ => 86400,
    };
    then + TimeDelta::seconds((s / unit + 1) * unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_like_a_person_would_say_them() {
        let t = DateTime::UNIX_EPOCH;
        let at = |s| t + TimeDelta::seconds(s);
        assert_eq!(age(t, at(0)), "just now");
        assert_eq!(age(t, at(42)), "42s ago");
        assert_eq!(age(t, at(300)), "5m ago");
        assert_eq!(age(t, at(3 * 3600 + 5)), "3h ago");
        assert_eq!(age(t, at(-5)), "just now");
        assert_eq!(age_changes_at(t, at(42)), at(43));
        assert_eq!(age_changes_at(t, at(61)), at(120));
        assert_eq!(age_changes_at(t, at(7200)), at(10800));
    }
}
