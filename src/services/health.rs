//! Whether the deployment can serve: for the load balancer's health check.

use crate::db::{self, DbConnection};
use crate::error::AppError;

/// The database answers a trivial query.
pub fn database(conn: &mut DbConnection) -> Result<(), AppError> {
    Ok(db::ping(conn)?)
}

/// The evidence store answers (a directory is there; a bucket lists).
pub fn evidence_store(store: &dyn crate::storage::BlobStore) -> Result<(), AppError> {
    store.check().map_err(|e| AppError::internal(format!("evidence store {}: {e}", store.location())))
}
