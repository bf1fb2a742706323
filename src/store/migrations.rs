//! Numbered schema migrations. Append only: never edit a migration that has shipped.

use rusqlite_migration::{M, Migrations};

pub(super) const STEPS: &[M<'static>] = &[
    // 1: accounts, imports, transactions, daily prices.
    M::up(
        "CREATE TABLE accounts (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL DEFAULT 'taxable' CHECK (kind IN ('taxable', 'ira', 'roth')),
            lot_method TEXT NOT NULL DEFAULT 'fifo' CHECK (lot_method IN ('fifo', 'lifo', 'hifo')),
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
        );
        CREATE TABLE imports (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            format TEXT NOT NULL,
            rows_added INTEGER NOT NULL,
            imported_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
        );
        CREATE TABLE transactions (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            account_id INTEGER NOT NULL REFERENCES accounts(id),
            date TEXT NOT NULL,
            action TEXT NOT NULL,
            symbol TEXT,
            quantity TEXT,
            price TEXT,
            fees TEXT NOT NULL DEFAULT '0',
            amount TEXT,
            currency TEXT NOT NULL,
            lot TEXT,
            note TEXT,
            import_id INTEGER REFERENCES imports(id)
        );
        CREATE INDEX transactions_by_account ON transactions(account_id);
        CREATE INDEX transactions_by_symbol ON transactions(symbol, date);
        CREATE INDEX transactions_by_date ON transactions(date);
        CREATE TABLE prices (
            symbol TEXT NOT NULL,
            date TEXT NOT NULL,
            close TEXT NOT NULL,
            open TEXT,
            high TEXT,
            low TEXT,
            volume TEXT,
            PRIMARY KEY (symbol, date)
        ) WITHOUT ROWID;",
    ),
    // 2: the latest quote per symbol, written back by the cockpit's quote feed.
    M::up(
        "CREATE TABLE quotes (
            symbol TEXT PRIMARY KEY,
            last TEXT NOT NULL,
            bid TEXT,
            ask TEXT,
            prev_close TEXT,
            volume TEXT,
            time TEXT NOT NULL,
            source TEXT NOT NULL,
            freshness TEXT NOT NULL
        ) WITHOUT ROWID;",
    ),
    // 3: saved Monte Carlo plans: the inputs as stated (JSON) and the last run's summary (JSON).
    M::up(
        "CREATE TABLE plans (
            name TEXT PRIMARY KEY,
            saved TEXT NOT NULL,
            inputs TEXT NOT NULL,
            summary TEXT NOT NULL
        ) WITHOUT ROWID;",
    ),
];

pub fn migrations() -> Migrations<'static> {
    Migrations::from_slice(STEPS)
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid_from_an_empty_database() {
        super::migrations().validate().unwrap();
    }

    #[test]
    fn every_earlier_version_migrates_with_its_data() {
        let steps = super::STEPS.len();
        for from in 1..steps {
            let mut conn = rusqlite::Connection::open_in_memory().unwrap();
            let m = super::migrations();
            m.to_version(&mut conn, from).unwrap();
            conn.execute_batch(
                "INSERT INTO accounts (name) VALUES ('A');
                 INSERT INTO prices (symbol, date, close) VALUES ('VTI', '2025-01-02', '250.10');",
            )
            .unwrap();
            m.to_latest(&mut conn).unwrap();
            let version: i64 = conn
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .unwrap();
            assert_eq!(version, steps as i64);
            let close: String = conn
                .query_row("SELECT close FROM prices", [], |r| r.get(0))
                .unwrap();
            assert_eq!(close, "250.10", "data survives the migration from {from}");
        }
    }
}
