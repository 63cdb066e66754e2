//! Who may do what: every permission rule of the case, in one place. Services guard with
//! these functions; pages derive their `can_*` flags and their "why not" text from the same
//! ones, so a rule changes here and nowhere else.
//!
//! Seeing an incident is not a refusal: an incident the user may not see is reported as one
//! that does not exist (`sees`), so that its existence leaks nothing.

use std::fmt;

use super::charge::{Mapping, MappingStatus};
use super::custody::CustodyStatus;
use super::evidence::{Exhibit, ExhibitKind};
use super::incident::{Incident, IncidentStatus};
use super::user::{Role, User};

/// Why something was refused, phrased for the person refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The user's role or team does not allow it.
    NotPermitted(String),
    /// Allowed for this user, but not in the record's present state (`code` is the stable
    /// problem code, e.g. `already_approved`).
    NotNow { code: &'static str, reason: String },
}

impl Refusal {
    pub fn reason(&self) -> &str {
        match self {
            Refusal::NotPermitted(reason) | Refusal::NotNow { reason, .. } => reason,
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())
    }
}

impl std::error::Error for Refusal {}

/// The outcome of one rule: allowed, or refused with the reason.
pub type Decision = Result<(), Refusal>;

/// "an investigator", "a prosecutor": the role as the subject of a sentence.
fn a_role(role: Role) -> String {
    let name = role.label().to_lowercase();
    let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    format!("{article} {name}")
}

fn refuse(user: &User, what: &str) -> Decision {
    let mut reason = a_role(user.role);
    if let Some(first) = reason.get(..1) {
        reason.replace_range(..1, &first.to_uppercase());
    }
    Err(Refusal::NotPermitted(format!("{reason} cannot {what}")))
}

/// Whether `user` may see `incident` at all (otherwise it is "not found").
pub fn sees(user: &User, incident: &Incident) -> bool {
    user.role.sees_all_incidents() || incident.has_member(user.id)
}

/// Whether `user` sees every incident of the deployment, not only their teams'.
pub fn sees_all(user: &User) -> bool {
    user.role.sees_all_incidents()
}

/// What a team member does to an incident's record. Each names itself in a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseWork {
    ChangeIncident,
    AddMember,
    AddEvidence,
    RecordCustody,
    TagEvidence,
    AddCharges,
    DropCharges,
    OrderCharges,
    ProposeMappings,
}

impl CaseWork {
    fn phrase(self) -> &'static str {
        match self {
            CaseWork::ChangeIncident => "change this incident",
            CaseWork::AddMember => "add members to this incident's team",
            CaseWork::AddEvidence => "add evidence",
            CaseWork::RecordCustody => "record custody events",
            CaseWork::TagEvidence => "tag evidence",
            CaseWork::AddCharges => "add charges",
            CaseWork::DropCharges => "drop charges",
            CaseWork::OrderCharges => "reorder the counts",
            CaseWork::ProposeMappings => "propose mappings",
        }
    }
}

/// Opening a new incident: any role that works cases.
pub fn open_incident(user: &User) -> Decision {
    if user.role.writes_cases() { Ok(()) } else { refuse(user, "open incidents") }
}

/// Changing an incident's record: a role that works cases, on the incident's team (a
/// supervisor sees, and so works on, every incident).
pub fn work_on(user: &User, incident: &Incident, work: CaseWork) -> Decision {
    if user.role.writes_cases() && sees(user, incident) {
        Ok(())
    } else if user.role.writes_cases() {
        Err(Refusal::NotPermitted(format!("Only members of the incident's team can {}", work.phrase())))
    } else {
        refuse(user, work.phrase())
    }
}

/// Moving an incident to `status`: charging decisions (charged, declined) are a prosecutor's
/// or supervisor's.
pub fn set_status(user: &User, incident: &Incident, status: IncidentStatus) -> Decision {
    work_on(user, incident, CaseWork::ChangeIncident)?;
    if status.is_charging_decision() && !user.role.decides_charges() {
        return refuse(user, &format!("mark an incident {}: prosecutors and supervisors do", status.label()));
    }
    Ok(())
}

/// Recording that an indictment or information charging a count was filed: a charging
/// decision, so a prosecutor's or supervisor's on the team.
pub fn record_filing(user: &User, incident: &Incident) -> Decision {
    work_on(user, incident, CaseWork::AddCharges)?;
    if !user.role.decides_charges() {
        return refuse(user, "record that a count was charged: prosecutors and supervisors do");
    }
    Ok(())
}

/// Reviewing a mapping: a prosecutor or supervisor on the team, never the proposer
/// (separation of duties), and only while the mapping awaits review.
pub fn review_mapping(user: &User, incident: &Incident, mapping: &Mapping) -> Decision {
    if !user.role.decides_charges() {
        return refuse(user, "review mappings: only a prosecutor or supervisor can");
    }
    work_on(user, incident, CaseWork::ProposeMappings)
        .map_err(|_| Refusal::NotPermitted("Only members of the incident's team can review its mappings".into()))?;
    if mapping.proposed_by == user.id {
        return Err(Refusal::NotPermitted(
            "You proposed this mapping: another prosecutor or supervisor must review it".into(),
        ));
    }
    if !matches!(mapping.status, MappingStatus::Proposed | MappingStatus::NeedsMoreEvidence) {
        return Err(Refusal::NotNow {
            code: "already_reviewed",
            reason: format!("This mapping is already {}", mapping.status.label().to_lowercase()),
        });
    }
    Ok(())
}

/// Marking victims' names sensitive (initials only in pages and documents) or lifting the
/// mark is a prosecutor's call about the case, as is every disclosure decision.
pub fn mark_victim_names(user: &User, incident: &Incident) -> Decision {
    work_on(user, incident, CaseWork::ChangeIncident)?;
    if user.role.decides_charges() {
        Ok(())
    } else {
        refuse(user, "mark victims' names sensitive: prosecutors and supervisors do")
    }
}

/// Whether `user` has a review queue at all.
pub fn reviews(user: &User) -> bool {
    user.role.decides_charges()
}

/// Writing a charging memo: a prosecutor or supervisor on the team.
pub fn draft_memo(user: &User, incident: &Incident) -> Decision {
    if !user.role.decides_charges() {
        return refuse(user, "write charging memos: prosecutors and supervisors do");
    }
    work_on(user, incident, CaseWork::ChangeIncident)
        .map_err(|_| Refusal::NotPermitted("Only members of the incident's team can write its memo".into()))
}

/// Approving a memo version: a supervisor, once per version.
pub fn approve_memo(user: &User, version: i32, already_approved: bool) -> Decision {
    if user.role != Role::Supervisor {
        return Err(Refusal::NotPermitted("Only a supervisor approves a memo version".into()));
    }
    if already_approved {
        return Err(Refusal::NotNow {
            code: "already_approved",
            reason: format!("Version {version} is already approved"),
        });
    }
    Ok(())
}

/// Resolving a custody discrepancy: a supervisor, since it returns impaired evidence to use.
/// Withdrawing a proposal: its proposer only, and only before anyone has reviewed it.
pub fn withdraw_mapping(user: &User, incident: &Incident, mapping: &Mapping, reviewed: bool) -> Decision {
    work_on(user, incident, CaseWork::ProposeMappings)?;
    if mapping.proposed_by != user.id {
        return Err(Refusal::NotPermitted("Only the person who proposed a mapping can withdraw it".into()));
    }
    if mapping.status != MappingStatus::Proposed || reviewed {
        return Err(Refusal::NotNow {
            code: "already_reviewed",
            reason: "This mapping has been reviewed: it can no longer be withdrawn".into(),
        });
    }
    Ok(())
}

/// Revoking an acceptance: a supervisor on the team, with a reason, of an accepted mapping.
pub fn revoke_mapping(user: &User, incident: &Incident, mapping: &Mapping) -> Decision {
    if user.role != Role::Supervisor {
        return refuse(user, "revoke an accepted mapping: only a supervisor can");
    }
    work_on(user, incident, CaseWork::ProposeMappings)
        .map_err(|_| Refusal::NotPermitted("Only members of the incident's team can revoke its mappings".into()))?;
    if mapping.status != MappingStatus::Accepted {
        return Err(Refusal::NotNow {
            code: "not_accepted",
            reason: format!("This mapping is {}, not accepted", mapping.status.label().to_lowercase()),
        });
    }
    Ok(())
}

pub fn resolve_discrepancy(user: &User) -> Decision {
    if user.role == Role::Supervisor {
        Ok(())
    } else {
        Err(Refusal::NotPermitted("Only a supervisor resolves a custody discrepancy".into()))
    }
}

/// Managing the deployment (sessions, accounts): administrators only.
pub fn administer(user: &User) -> Decision {
    if user.role == Role::Admin { Ok(()) } else { refuse(user, "manage sessions or accounts: administrators do") }
}

/// Drafting an FRE 902(14) certification: only for a file whose custody is sound. A physical
/// item is authenticated by chain-of-custody testimony instead.
pub fn certify(exhibit: &Exhibit, status: &CustodyStatus) -> Decision {
    if exhibit.kind == ExhibitKind::PhysicalItem || exhibit.file.is_none() {
        return Err(Refusal::NotNow {
            code: "not_certifiable",
            reason: format!(
                "{} is a physical item or has no file: FRE 902(14) certifies data copied from a device, medium or file; authenticate it by chain-of-custody testimony",
                exhibit.number
            ),
        });
    }
    if !status.sound() {
        return Err(Refusal::NotNow {
            code: "custody_impaired",
            reason: format!(
                "the custody of {} is impaired ({}): it cannot be certified until that is resolved",
                exhibit.number,
                status.summary()
            ),
        });
    }
    Ok(())
}

/// Exporting a memo version as PDF, or an exhibit's FRE 902(14) certification draft: anyone
/// who may see the incident. Drafts are for review; each export is an audit record naming who.
pub fn export_documents(user: &User, incident: &Incident) -> Decision {
    if sees(user, incident) { Ok(()) } else { Err(Refusal::NotPermitted("Not a member of the incident's team".into())) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::UserId;

    fn user(role: Role) -> User {
        User { id: UserId::new(), username: "u".into(), full_name: String::new(), role, active: true }
    }

    #[test]
    fn roles_read_as_subjects() {
        assert_eq!(a_role(Role::Investigator), "an investigator");
        assert_eq!(a_role(Role::Auditor), "an auditor");
        assert_eq!(a_role(Role::Prosecutor), "a prosecutor");
        let refused = open_incident(&user(Role::Auditor)).unwrap_err();
        assert_eq!(refused.to_string(), "An auditor cannot open incidents");
        assert!(open_incident(&user(Role::Investigator)).is_ok());
    }

    #[test]
    fn only_supervisors_approve_and_only_once() {
        assert!(matches!(approve_memo(&user(Role::Prosecutor), 1, false), Err(Refusal::NotPermitted(_))));
        assert!(approve_memo(&user(Role::Supervisor), 1, false).is_ok());
        assert!(matches!(
            approve_memo(&user(Role::Supervisor), 1, true),
            Err(Refusal::NotNow { code: "already_approved", .. })
        ));
    }
}
