//! The executor's audit log: one durable row per `exec` or `exec_check`, written before a
//! command starts (so a crash mid-run still leaves the request) and completed when it ends.

use super::Store;
use super::errors::{SqlContext, StoreError};
use chinwag_protocol::ExecRecord;
use rusqlite::params;

/// Most rows one read returns.
const MAX_ROWS: u32 = 1000;

impl Store {
    /// Records a request under `owner`; returns its row for [`Store::finish_exec`].
    pub async fn record_exec(&self, owner: &str, r: ExecRecord) -> Result<i64, StoreError> {
        let owner = owner.to_string();
        let argv = serde_json::to_string(&r.argv)
            .map_err(|e| StoreError::other(format!("encoding an argv: {e}")))?;
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO exec_audit (at_ms, owner, user, token, argv, cwd, is_check, decision, \
                 rule, code, signal, timed_out, truncated, bytes, duration_ms, sandbox) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
                params![
                    r.at_ms,
                    owner,
                    r.user,
                    r.token,
                    argv,
                    r.cwd,
                    r.check,
                    r.decision,
                    r.rule,
                    r.code,
                    r.signal,
                    r.timed_out,
                    r.truncated,
                    r.bytes as i64,
                    r.duration_ms as i64,
                    r.sandbox,
                ],
            )
            .ctx("recording an executor request")?;
            Ok(conn.last_insert_rowid())
        })
        .await
    }

    /// Completes row `id` with how the command ended.
    pub async fn finish_exec(&self, id: i64, r: ExecRecord) -> Result<(), StoreError> {
        self.write(move |conn| {
            conn.execute(
                "UPDATE exec_audit SET code = ?2, signal = ?3, timed_out = ?4, truncated = ?5, \
                 bytes = ?6, duration_ms = ?7, sandbox = ?8 WHERE id = ?1",
                params![
                    id,
                    r.code,
                    r.signal,
                    r.timed_out,
                    r.truncated,
                    r.bytes as i64,
                    r.duration_ms as i64,
                    r.sandbox,
                ],
            )
            .ctx("completing an executor record")
            .map(drop)
        })
        .await
    }

    /// Records newest first since `since_ms`: `owner`'s, or everyone's with `None`.
    pub async fn exec_records(
        &self,
        owner: Option<&str>,
        since_ms: i64,
        limit: u32,
    ) -> Result<Vec<ExecRecord>, StoreError> {
        let owner = owner.map(str::to_string);
        let limit = limit.clamp(1, MAX_ROWS);
        self.read(move |conn| {
            let mut stmt = conn
                .prepare(
                    "SELECT at_ms, user, token, argv, cwd, is_check, decision, rule, code, \
                     signal, timed_out, truncated, bytes, duration_ms, sandbox FROM exec_audit \
                     WHERE at_ms >= ?1 AND (?2 IS NULL OR owner = ?2) \
                     ORDER BY at_ms DESC, id DESC LIMIT ?3",
                )
                .ctx("reading the audit log")?;
            let rows = stmt
                .query_map(params![since_ms, owner, limit], |row| {
                    let argv: String = row.get(3)?;
                    Ok(ExecRecord {
                        at_ms: row.get(0)?,
                        user: row.get(1)?,
                        token: row.get(2)?,
                        argv: serde_json::from_str(&argv).unwrap_or_default(),
                        cwd: row.get(4)?,
                        check: row.get(5)?,
                        decision: row.get(6)?,
                        rule: row.get(7)?,
                        code: row.get(8)?,
                        signal: row.get(9)?,
                        timed_out: row.get(10)?,
                        truncated: row.get(11)?,
                        bytes: row.get::<_, i64>(12)?.max(0) as u64,
                        duration_ms: row.get::<_, i64>(13)?.max(0) as u64,
                        sandbox: row.get(14)?,
                    })
                })
                .ctx("reading the audit log")?;
            rows.collect::<Result<Vec<_>, _>>()
                .ctx("reading the audit log")
        })
        .await
    }
}
