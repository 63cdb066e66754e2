//! What a person sees first: their cases, what waits for them, what is urgent.

use crate::db::DbConnection;
use crate::db::repo::audit::{self as audit_repo, AuditEntry};
use crate::db::repo::evidence as evidence_repo;
use crate::domain::charge::Mapping;
use crate::domain::evidence::ExhibitNumber;
use crate::domain::incident::{IncidentFilter, IncidentSummary, RawIncidentFilter};
use crate::domain::user::User;
use crate::error::AppError;
use crate::services::charges::{self, Deadline};
use crate::services::incidents;

pub struct Dashboard {
    pub incidents: Vec<IncidentSummary>,
    /// How many incidents the user sees, in words ("more than 1000" past the count's cap).
    pub incident_total: String,
    /// The oldest few waiting for review, whether more wait than are shown, and how many wait.
    pub reviews: Vec<(String, Mapping)>,
    pub reviews_beyond: bool,
    pub review_total: String,
    pub deadlines: Vec<Deadline>,
    /// Exhibits whose custody is impaired, with why: not to be relied on.
    pub impaired: Vec<ImpairedExhibit>,
    pub activity: Vec<(String, AuditEntry)>,
}

pub fn load(conn: &mut DbConnection, user: &User) -> Result<Dashboard, AppError> {
    let member_of = if crate::domain::policy::sees_all(user) { None } else { Some(user.id) };
    let filter = IncidentFilter::parse(&RawIncidentFilter { per_page: "8".into(), ..Default::default() })?;
    let page = incidents::list(conn, user, &filter)?;
    let reviews = charges::review_queue(conn, user, crate::domain::incident::Position::Start, 6)?;
    Ok(Dashboard {
        incident_total: page.total_words(),
        incidents: page.items,
        reviews_beyond: reviews.next.is_some(),
        review_total: reviews.total_words(),
        reviews: reviews.items,
        deadlines: charges::nearest_deadlines(conn, user, 6)?,
        impaired: impaired(conn, member_of)?,
        activity: audit_repo::recent(conn, member_of, 12)?,
    })
}

/// An impaired exhibit on the dashboard.
pub struct ImpairedExhibit {
    pub exhibit: ExhibitNumber,
    pub reasons: String,
}

/// The impaired exhibits of the incidents the user sees: those whose latest verification
/// failed or whose record states a problem, each judged by the one custody status.
fn impaired(
    conn: &mut DbConnection,
    member_of: Option<crate::domain::ids::UserId>,
) -> Result<Vec<ImpairedExhibit>, AppError> {
    let mut candidates: Vec<String> =
        evidence_repo::failed_verifications(conn, member_of)?.into_iter().map(|f| f.exhibit).collect();
    candidates.extend(evidence_repo::with_recorded_problems(conn, member_of)?);
    // In number order, which is not text order (E1000 follows E999).
    let mut numbers = candidates
        .iter()
        .map(|n| n.parse::<ExhibitNumber>().map_err(AppError::internal))
        .collect::<Result<Vec<_>, _>>()?;
    numbers.sort();
    numbers.dedup();
    let mut out = Vec::new();
    for number in numbers {
        let Some(exhibit) = evidence_repo::find(conn, number)? else { continue };
        let events = evidence_repo::events_of(conn, exhibit.id)?;
        let status = crate::services::evidence::custody_status_of(conn, &exhibit, &events)?;
        if !status.sound() {
            out.push(ImpairedExhibit { exhibit: number, reasons: status.summary() });
        }
    }
    Ok(out)
}
