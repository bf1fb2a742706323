//! Numbered schema migrations. Append only: never edit a migration that has shipped.

use rusqlite_migration::{M, Migrations};

const STEPS: &[M<'static>] = &[
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
}
