//! The chat's threads and messages. A turn's messages are written together in one
//! transaction, so a thread never holds a tool call without its result.

use rusqlite::{OptionalExtension, params};

use super::{Result, Store, StoreError, Writer};

/// A thread as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thread {
    pub id: i64,
    pub title: String,
    pub created_at: String,
    pub updated_at: String,
    /// Questions asked in it.
    pub questions: i64,
}

/// A message as stored: the chat's own fields, with tool calls and unverified figures as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    pub role: String,
    pub content: String,
    pub tool_calls: Option<String>,
    pub tool_call_id: Option<String>,
    pub tool_name: Option<String>,
    pub is_error: bool,
    pub provider: Option<String>,
    pub unverified: Option<String>,
    pub created_at: String,
}

impl Store {
    /// Every thread, the most recently used first.
    pub fn threads(&self) -> Result<Vec<Thread>> {
        let mut stmt = self.conn.prepare(
            "SELECT t.id, t.title, t.created_at, t.updated_at,
                    (SELECT COUNT(*) FROM chat_messages m WHERE m.thread_id = t.id AND m.role = 'user')
             FROM chat_threads t ORDER BY t.updated_at DESC, t.id DESC",
        )?;
        let rows = stmt.query_map([], thread_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A thread by id (None: no such thread).
    pub fn thread(&self, id: i64) -> Result<Option<Thread>> {
        Ok(self
            .conn
            .query_row(
                "SELECT t.id, t.title, t.created_at, t.updated_at,
                        (SELECT COUNT(*) FROM chat_messages m WHERE m.thread_id = t.id AND m.role = 'user')
                 FROM chat_threads t WHERE t.id = ?1",
                [id],
                thread_row,
            )
            .optional()?)
    }

    /// A thread's messages in the order they were said.
    pub fn thread_messages(&self, id: i64) -> Result<Vec<StoredMessage>> {
        let mut stmt = self.conn.prepare(
            "SELECT role, content, tool_calls, tool_call_id, tool_name, is_error, provider,
                    unverified, created_at
             FROM chat_messages WHERE thread_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([id], |r| {
            Ok(StoredMessage {
                role: r.get(0)?,
                content: r.get(1)?,
                tool_calls: r.get(2)?,
                tool_call_id: r.get(3)?,
                tool_name: r.get(4)?,
                is_error: r.get::<_, i64>(5)? != 0,
                provider: r.get(6)?,
                unverified: r.get(7)?,
                created_at: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// A thread from a row of (id, title, created_at, updated_at, questions).
fn thread_row(r: &rusqlite::Row) -> rusqlite::Result<Thread> {
    Ok(Thread {
        id: r.get(0)?,
        title: r.get(1)?,
        created_at: r.get(2)?,
        updated_at: r.get(3)?,
        questions: r.get(4)?,
    })
}

impl Writer<'_> {
    /// A new thread titled `title`; its id.
    pub fn new_thread(&self, title: &str) -> Result<i64> {
        self.tx
            .execute("INSERT INTO chat_threads (title) VALUES (?1)", [title])?;
        Ok(self.tx.last_insert_rowid())
    }

    /// Appends a turn's messages to thread `id` and marks it used.
    pub fn add_messages(&self, id: i64, messages: &[StoredMessage]) -> Result<()> {
        let exists: Option<i64> = self
            .tx
            .query_row("SELECT id FROM chat_threads WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?;
        if exists.is_none() {
            return Err(StoreError::Sql(rusqlite::Error::QueryReturnedNoRows));
        }
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO chat_messages (thread_id, role, content, tool_calls, tool_call_id,
                 tool_name, is_error, provider, unverified)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for m in messages {
            stmt.execute(params![
                id,
                m.role,
                m.content,
                m.tool_calls,
                m.tool_call_id,
                m.tool_name,
                m.is_error as i64,
                m.provider,
                m.unverified,
            ])?;
        }
        self.tx.execute(
            "UPDATE chat_threads SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?1",
            [id],
        )?;
        Ok(())
    }
}
