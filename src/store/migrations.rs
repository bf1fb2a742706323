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
    // 4: the order journal (TRADING.md §6): one row per order intent, an append-only event log,
    // executions keyed by the execution id up to its last '.', commission reports by execution
    // id, the order-id high-water mark; and a sale's lot choice on the ledger transaction.
    M::up(
        "ALTER TABLE transactions ADD COLUMN relief TEXT;
        CREATE TABLE orders (
            id INTEGER PRIMARY KEY,
            reference TEXT NOT NULL UNIQUE,
            created TEXT NOT NULL,
            updated TEXT NOT NULL,
            broker TEXT NOT NULL CHECK (broker IN ('paper', 'ibkr')),
            live INTEGER NOT NULL DEFAULT 0,
            account TEXT NOT NULL,
            symbol TEXT NOT NULL,
            side TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
            quantity TEXT NOT NULL,
            order_type TEXT NOT NULL,
            limit_price TEXT,
            stop_price TEXT,
            tif TEXT NOT NULL,
            outside_rth INTEGER NOT NULL DEFAULT 0,
            relief TEXT,
            state TEXT NOT NULL,
            broker_order_id INTEGER,
            perm_id INTEGER UNIQUE,
            client_id INTEGER,
            broker_account TEXT,
            filled TEXT NOT NULL DEFAULT '0',
            avg_price TEXT,
            commission TEXT NOT NULL DEFAULT '0',
            reason TEXT,
            cancel_requested INTEGER NOT NULL DEFAULT 0,
            triggered INTEGER NOT NULL DEFAULT 0,
            ticket TEXT
        );
        CREATE INDEX orders_by_state ON orders(state);
        CREATE TABLE order_events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            order_id INTEGER REFERENCES orders(id),
            time TEXT NOT NULL,
            source TEXT NOT NULL,
            kind TEXT NOT NULL,
            detail TEXT NOT NULL,
            dedupe TEXT UNIQUE
        );
        CREATE INDEX order_events_by_order ON order_events(order_id);
        CREATE TABLE executions (
            broker_account TEXT NOT NULL,
            exec_key TEXT NOT NULL,
            exec_id TEXT NOT NULL UNIQUE,
            revision INTEGER NOT NULL,
            order_id INTEGER REFERENCES orders(id),
            symbol TEXT NOT NULL,
            side TEXT NOT NULL,
            quantity TEXT NOT NULL,
            price TEXT NOT NULL,
            time TEXT NOT NULL,
            trade_date TEXT NOT NULL,
            transaction_id INTEGER REFERENCES transactions(id),
            version INTEGER NOT NULL DEFAULT 1,
            PRIMARY KEY (broker_account, exec_key)
        ) WITHOUT ROWID;
        CREATE TABLE commissions (
            exec_id TEXT PRIMARY KEY,
            amount TEXT NOT NULL,
            currency TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE order_ids (
            broker TEXT NOT NULL,
            client_id INTEGER NOT NULL,
            max_order_id INTEGER NOT NULL,
            PRIMARY KEY (broker, client_id)
        ) WITHOUT ROWID;",
    ),
    // 5: the chat's threads and their messages (tool calls and results kept as JSON text).
    M::up(
        "CREATE TABLE chat_threads (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
            updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
        );
        CREATE TABLE chat_messages (
            id INTEGER PRIMARY KEY,
            thread_id INTEGER NOT NULL REFERENCES chat_threads(id) ON DELETE CASCADE,
            role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'tool')),
            content TEXT NOT NULL,
            tool_calls TEXT,
            tool_call_id TEXT,
            tool_name TEXT,
            is_error INTEGER NOT NULL DEFAULT 0,
            provider TEXT,
            unverified TEXT,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
        );
        CREATE INDEX chat_messages_by_thread ON chat_messages(thread_id, id);",
    ),
    // 6: target mixes, household-wide (scope '') or per account, by class or by symbol, with
    // their drift bands (NULL: the config's).
    M::up(
        "CREATE TABLE target_sets (
            scope TEXT PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('class', 'symbol')),
            band_points TEXT,
            band_pct TEXT,
            updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
        ) WITHOUT ROWID;
        CREATE TABLE targets (
            scope TEXT NOT NULL REFERENCES target_sets(scope) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            name TEXT NOT NULL,
            weight TEXT NOT NULL,
            PRIMARY KEY (scope, name)
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
