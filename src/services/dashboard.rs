//! What a person sees first: their cases, what waits for them, what is urgent.

use crate::db::DbConnection;
use crate::db::repo::audit::{self as audit_repo, AuditEntry};
use crate::db::repo::evidence as evidence_repo;
use crate::domain::charge::Mapping;
use crate::domain::evidence::ExhibitNumber;
use crate::domain::incident::{GLANCE_COUNT_CAP, IncidentFilter, IncidentSummary, Position, RawIncidentFilter};
use crate::domain::user::User;
use crate::error::AppError;
use crate::services::charges::{self, Deadline};
use crate::services::incidents;

pub struct Dashboard {
    pub incidents: Vec<IncidentSummary>,
    /// How many incidents the user sees, in words ("more than 100" past the glance's cap).
    pub incident_total: String,
    /// The oldest few waiting for review, whether more wait than are shown, and how many wait.
    pub reviews: Vec<(String, Mapping)>,
    pub reviews_beyond: bool,
    pub review_total: String,
    pub deadlines: Vec<Deadline>,
    /// Exhibits whose custody is impaired, with why: not to be relied on.
    pub impaired: Impaired,
    pub activity: Vec<(String, AuditEntry)>,
}

pub fn load(conn: &mut DbConnection, user: &User) -> Result<Dashboard, AppError> {
    let member_of = if crate::domain::policy::sees_all(user) { None } else { Some(user.id) };
    let mut filter = IncidentFilter::parse(&RawIncidentFilter { per_page: "8".into(), ..Default::default() })?;
    filter.count_up_to = GLANCE_COUNT_CAP;
    let page = incidents::list(conn, user, &filter)?;
    let reviews = charges::review_queue(conn, user, Position::Start, 6, GLANCE_COUNT_CAP)?;
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

/// Candidates of each kind (a failed latest verification, an unresolved recorded problem) the
/// dashboard reads: its cost stays bounded however much an office's history holds.
const IMPAIRED_CANDIDATES: usize = 50;
/// Impaired exhibits the dashboard lists.
const IMPAIRED_SHOWN: usize = 12;

/// The dashboard's impaired exhibits: those listed, and whether others have a failed latest
/// verification or an unresolved recorded problem too.
pub struct Impaired {
    pub listed: Vec<ImpairedExhibit>,
    pub beyond: bool,
}

/// An impaired exhibit on the dashboard.
pub struct ImpairedExhibit {
    pub exhibit: ExhibitNumber,
    pub reasons: String,
}

/// The impaired exhibits of the incidents the user sees: those whose latest verification
/// failed or whose record states a problem, each judged by the one custody status.
fn impaired(conn: &mut DbConnection, member_of: Option<crate::domain::ids::UserId>) -> Result<Impaired, AppError> {
    // Usually there is none in the whole office: asked first without the team check, whose
    // plan PostgreSQL makes afresh for each user (the most of the dashboard's planning).
    if member_of.is_some()
        && evidence_repo::failed_verifications(conn, None, 1)?.is_empty()
        && evidence_repo::with_recorded_problems(conn, None, 1)?.is_empty()
    {
        return Ok(Impaired { listed: Vec::new(), beyond: false });
    }
    // One more of each than is examined: whether there are others.
    let mut failed = evidence_repo::failed_verifications(conn, member_of, IMPAIRED_CANDIDATES as i64 + 1)?;
    let mut recorded = evidence_repo::with_recorded_problems(conn, member_of, IMPAIRED_CANDIDATES as i64 + 1)?;
    let mut beyond = failed.len() > IMPAIRED_CANDIDATES || recorded.len() > IMPAIRED_CANDIDATES;
    failed.truncate(IMPAIRED_CANDIDATES);
    recorded.truncate(IMPAIRED_CANDIDATES);
    let mut candidates: Vec<String> = failed.into_iter().map(|f| f.exhibit).collect();
    candidates.extend(recorded);
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
            if out.len() == IMPAIRED_SHOWN {
                beyond = true;
                break;
            }
            out.push(ImpairedExhibit { exhibit: number, reasons: status.summary() });
        }
    }
    Ok(Impaired { listed: out, beyond })
}
