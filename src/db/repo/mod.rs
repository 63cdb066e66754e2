//! Repository functions: one module per aggregate, each taking a connection and returning
//! `QueryResult`. Row structs mirror tables; conversion to domain types happens here.

pub mod analyses;
pub mod audit;
pub mod charges;
pub mod evidence;
pub mod incidents;
pub mod ledger;
pub mod memos;
pub mod other_statutes;
pub mod people;
pub mod sessions;
pub mod users;

/// The most values one `IN (...)` list binds: a lookup by a list that can grow (the proposers
/// of an incident's mappings) goes a chunk at a time, far below either backend's limit on
/// bind parameters (SQLite 32,766, PostgreSQL 65,535).
pub(crate) const IN_LIST_CHUNK: usize = 500;

/// A count that stopped at its cap (`domain::incident::COUNT_CAP`, or less).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    pub total: i64,
    /// More rows than `total` match.
    pub capped: bool,
}

impl Counted {
    /// From the number of rows read with a limit of `cap + 1`.
    pub(crate) fn from_rows(rows: usize, cap: i64) -> Counted {
        let rows = i64::try_from(rows).unwrap_or(i64::MAX);
        if rows > cap { Counted { total: cap, capped: true } } else { Counted { total: rows, capped: false } }
    }
}

/// A stored value that does not parse is corrupt data, reported as a deserialization error.
pub(crate) fn corrupt(what: &str, value: &str) -> diesel::result::Error {
    diesel::result::Error::DeserializationError(format!("stored {what} '{value}' is not valid").into())
}

/// A stored id (or other text value) parsed into its typed form; corrupt if it does not parse.
pub(crate) fn parse_stored<T: std::str::FromStr>(what: &str, value: &str) -> diesel::result::QueryResult<T> {
    value.parse().map_err(|_| corrupt(what, value))
}

/// A stored amount: the cents and, for a lower bound, the bound's name.
pub(crate) fn stored_amount(
    what: &str,
    cents: Option<i64>,
    bound: Option<&str>,
) -> diesel::result::QueryResult<Option<crate::domain::approx::Amount>> {
    let bound = crate::domain::approx::Bound::from_stored(bound)
        .map_err(|_| corrupt(&format!("{what} bound"), bound.unwrap_or("")))?;
    Ok(cents.map(|cents| crate::domain::approx::Amount { cents, bound }))
}

/// Records read one by one for verification: each by its key, as read, or what no longer
/// reads in it.
pub type Checked<T> = Vec<(String, Result<T, String>)>;
