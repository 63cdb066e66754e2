//! Whether the deployment can serve: for the load balancer's health check.

use crate::db::{self, DbConnection};
use crate::error::AppError;

/// The database answers a trivial query.
pub fn database(conn: &mut DbConnection) -> Result<(), AppError> {
    Ok(db::ping(conn)?)
}
