use diesel::prelude::*;
use time::PrimitiveDateTime;

use crate::db::DbConnection;
use crate::db::schema::{ledger_checkpoints, ledger_leaves, ledger_tiles};

/// Appends a leaf at the next index and returns that index, in one statement (run inside a
/// write transaction, which serialises appenders): the index is read and taken together, so
/// an append costs one round trip, not two.
pub fn append_leaf(conn: &mut DbConnection, kind: &str, leaf: &str, at: PrimitiveDateTime) -> QueryResult<i64> {
    use diesel::sql_types::{BigInt, Text, Timestamp};
    let next = ledger_leaves::table.select((
        diesel::dsl::sql::<BigInt>("COALESCE(MAX(idx) + 1, 0)"),
        kind.into_sql::<Text>(),
        leaf.into_sql::<Text>(),
        at.into_sql::<Timestamp>(),
    ));
    diesel::insert_into(ledger_leaves::table)
        .values(next)
        .into_columns((ledger_leaves::idx, ledger_leaves::kind, ledger_leaves::leaf, ledger_leaves::recorded_at))
        .returning(ledger_leaves::idx)
        .get_result(conn)
}

/// Up to `limit` leaves from index `from` on, in order: (index, canonical bytes). `verify`
/// and the tile writer read the ledger a batch at a time through this.
pub fn leaves_batch(conn: &mut DbConnection, from: i64, limit: i64) -> QueryResult<Vec<(i64, String)>> {
    ledger_leaves::table
        .filter(ledger_leaves::idx.ge(from))
        .order(ledger_leaves::idx.asc())
        .limit(limit)
        .select((ledger_leaves::idx, ledger_leaves::leaf))
        .load(conn)
}

pub fn leaf(conn: &mut DbConnection, idx: i64) -> QueryResult<Option<String>> {
    ledger_leaves::table.filter(ledger_leaves::idx.eq(idx)).select(ledger_leaves::leaf).first(conn).optional()
}

/// The stored leaves at up to `IN_LIST_CHUNK` indexes, in one query: (index, canonical bytes).
pub fn leaves_at(conn: &mut DbConnection, indexes: &[i64]) -> QueryResult<Vec<(i64, String)>> {
    debug_assert!(indexes.len() <= super::IN_LIST_CHUNK);
    ledger_leaves::table
        .filter(ledger_leaves::idx.eq_any(indexes))
        .select((ledger_leaves::idx, ledger_leaves::leaf))
        .load(conn)
}

/// The index after the last stored leaf: an index lookup, where counting reads every row.
pub fn size(conn: &mut DbConnection) -> QueryResult<i64> {
    ledger_leaves::table
        .select(diesel::dsl::max(ledger_leaves::idx))
        .first::<Option<i64>>(conn)
        .map(|m| m.map_or(0, |m| m + 1))
}

pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
    ledger_leaves::table.count().get_result(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ledger_checkpoints)]
pub struct CheckpointRow {
    pub tree_size: i64,
    pub root_hash: String,
    pub signed_note: String,
    pub created_at: PrimitiveDateTime,
}

pub fn latest_checkpoint(conn: &mut DbConnection) -> QueryResult<Option<CheckpointRow>> {
    ledger_checkpoints::table
        .order(ledger_checkpoints::tree_size.desc())
        .select(CheckpointRow::as_select())
        .first(conn)
        .optional()
}

/// The largest stored checkpoint of at most `size` leaves.
pub fn latest_checkpoint_at_most(conn: &mut DbConnection, size: i64) -> QueryResult<Option<CheckpointRow>> {
    ledger_checkpoints::table
        .filter(ledger_checkpoints::tree_size.le(size))
        .order(ledger_checkpoints::tree_size.desc())
        .select(CheckpointRow::as_select())
        .first(conn)
        .optional()
}

/// Up to `limit` stored checkpoints of more than `after` leaves, smallest first: `verify`
/// reads them a batch at a time (a checkpoint is signed after nearly every write).
pub fn checkpoints_after(conn: &mut DbConnection, after: i64, limit: i64) -> QueryResult<Vec<CheckpointRow>> {
    ledger_checkpoints::table
        .filter(ledger_checkpoints::tree_size.gt(after))
        .order(ledger_checkpoints::tree_size.asc())
        .limit(limit)
        .select(CheckpointRow::as_select())
        .load(conn)
}

pub fn checkpoint(conn: &mut DbConnection, size: i64) -> QueryResult<Option<CheckpointRow>> {
    ledger_checkpoints::table
        .filter(ledger_checkpoints::tree_size.eq(size))
        .select(CheckpointRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert_checkpoint(conn: &mut DbConnection, row: &CheckpointRow) -> QueryResult<usize> {
    diesel::insert_into(ledger_checkpoints::table)
        .values((
            ledger_checkpoints::tree_size.eq(row.tree_size),
            ledger_checkpoints::root_hash.eq(&row.root_hash),
            ledger_checkpoints::signed_note.eq(&row.signed_note),
            ledger_checkpoints::created_at.eq(row.created_at),
        ))
        .execute(conn)
}

/// A full tile's bytes (256 hashes), if it is stored.
pub fn tile(conn: &mut DbConnection, level: i32, idx: i64) -> QueryResult<Option<Vec<u8>>> {
    ledger_tiles::table
        .filter(ledger_tiles::level.eq(level))
        .filter(ledger_tiles::idx.eq(idx))
        .select(ledger_tiles::hashes)
        .first(conn)
        .optional()
}

/// Up to `limit` stored tiles of one level from index `from` on, in order: (index, bytes).
pub fn tiles_batch(conn: &mut DbConnection, level: i32, from: i64, limit: i64) -> QueryResult<Vec<(i64, Vec<u8>)>> {
    ledger_tiles::table
        .filter(ledger_tiles::level.eq(level))
        .filter(ledger_tiles::idx.ge(from))
        .order(ledger_tiles::idx.asc())
        .limit(limit)
        .select((ledger_tiles::idx, ledger_tiles::hashes))
        .load(conn)
}

/// One more than the largest stored tile index of a level (0 if it has none).
pub fn tiles_end(conn: &mut DbConnection, level: i32) -> QueryResult<i64> {
    let max: Option<i64> = ledger_tiles::table
        .filter(ledger_tiles::level.eq(level))
        .select(diesel::dsl::max(ledger_tiles::idx))
        .first(conn)?;
    Ok(max.map_or(0, |m| m + 1))
}

/// How many tiles of a level are stored.
pub fn tile_count(conn: &mut DbConnection, level: i32) -> QueryResult<i64> {
    ledger_tiles::table.filter(ledger_tiles::level.eq(level)).count().get_result(conn)
}

pub fn insert_tile(conn: &mut DbConnection, level: i32, idx: i64, hashes: &[u8]) -> QueryResult<usize> {
    diesel::insert_into(ledger_tiles::table)
        .values((ledger_tiles::level.eq(level), ledger_tiles::idx.eq(idx), ledger_tiles::hashes.eq(hashes)))
        .execute(conn)
}
