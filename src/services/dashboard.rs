//! What a person sees first: their cases, what waits for them, what is urgent.

use crate::db::DbConnection;
use crate::db::repo::audit::{self as audit_repo, AuditEntry};
use crate::db::repo::evidence::{self as evidence_repo, FailedVerification};
use crate::domain::charge::Mapping;
use crate::domain::incident::{IncidentFilter, IncidentSummary, RawIncidentFilter};
use crate::domain::user::User;
use crate::error::AppError;
use crate::services::charges::{self, Deadline};
use crate::services::incidents;

pub struct Dashboard {
    pub incidents: Vec<IncidentSummary>,
    pub incident_total: i64,
    pub reviews: Vec<(String, Mapping)>,
    pub deadlines: Vec<Deadline>,
    pub failed: Vec<FailedVerification>,
    pub activity: Vec<(String, AuditEntry)>,
}

pub fn load(conn: &mut DbConnection, user: &User) -> Result<Dashboard, AppError> {
    let member_of = if crate::domain::policy::sees_all(user) { None } else { Some(user.id) };
    let filter = IncidentFilter::parse(&RawIncidentFilter { per_page: "8".into(), ..Default::default() })?;
    let page = incidents::list(conn, user, &filter)?;
    Ok(Dashboard {
        incident_total: page.total,
        incidents: page.items,
        reviews: charges::review_queue(conn, user)?,
        deadlines: charges::nearest_deadlines(conn, user, 6)?,
        failed: evidence_repo::failed_verifications(conn, member_of)?,
        activity: audit_repo::recent(conn, member_of, 12)?,
    })
}
