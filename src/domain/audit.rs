//! What the audit trail records: each kind of action by name, and how it reads in the
//! activity lists of the dashboard and incident pages.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;
use std::str::FromStr;

use super::incident::IncidentStatus;

vocabulary!(
    /// Every action the audit trail records. The stored names are part of the ledger's
    /// leaves: they never change, or existing leaves would no longer verify.
    AuditAction, "an audit action" {
        UserCreated => ("user.created", "User created"),
        TokenCreated => ("token.created", "API token created"),
        TokenRevoked => ("token.revoked", "API token revoked"),
        UserDisabled => ("user.disabled", "Account disabled"),
        SignInFailed => ("user.sign_in_failed", "Failed sign-in"),
        SessionRevoked => ("session.revoked", "Session revoked"),
        IncidentCreated => ("incident.created", "Incident opened"),
        IncidentUpdated => ("incident.updated", "Incident changed"),
        IncidentStatusChanged => ("incident.status_changed", "Incident status changed"),
        IncidentMemberAdded => ("incident.member_added", "Team member added"),
        IncidentExported => ("incident.exported", "Case bundle exported"),
        ExhibitRegistered => ("exhibit.registered", "Exhibit registered"),
        ExhibitTagged => ("exhibit.tagged", "Exhibit tagged"),
        ExhibitDownloaded => ("exhibit.downloaded", "Exhibit file downloaded"),
        ExhibitViewed => ("exhibit.viewed", "Exhibit file viewed"),
        ChargeAdded => ("charge.added", "Count added"),
        ChargeDropped => ("charge.dropped", "Count dropped"),
        ChargeMoved => ("charge.moved", "Counts renumbered"),
        ChargeDefendantsSet => ("charge.defendants_set", "Defendants of a count set"),
        ChargeFiled => ("charge.filed", "Charging document filed"),
        PersonAdded => ("person.added", "Person added"),
        OtherStatuteEntered => ("other_statute.entered", "Out-of-catalog offense entered"),
        MappingProposed => ("mapping.proposed", "Mapping proposed"),
        MappingReviewed => ("mapping.reviewed", "Mapping reviewed"),
        MappingReopened => ("mapping.reopened", "Mapping sent back to review"),
        MappingWithdrawn => ("mapping.withdrawn", "Mapping withdrawn by its proposer"),
        MappingRevoked => ("mapping.revoked", "Mapping acceptance revoked"),
        ExhibitParentSet => ("exhibit.parent_set", "Parent exhibit set"),
        MemoSaved => ("memo.saved", "Memo version saved"),
        MemoApproved => ("memo.approved", "Memo version approved"),
        MemoExported => ("memo.exported", "Memo exported"),
        CertificateExported => ("certificate.exported", "Certification draft exported"),
    }
);

impl AuditAction {
    /// The action in words, completed from its recorded detail: "added count 2 (WIRE-1343)".
    pub fn describe(self, detail: &Value) -> String {
        let text = |key: &str| detail[key].as_str().unwrap_or("").to_owned();
        let number = |key: &str| detail[key].as_i64().map(|n| n.to_string()).unwrap_or_default();
        match self {
            AuditAction::UserCreated => format!("created the account {}", text("username")),
            AuditAction::TokenCreated => "created an API token".into(),
            AuditAction::TokenRevoked => format!("revoked API token {}", text("token_id")),
            AuditAction::UserDisabled => format!("disabled the account {}", text("username")),
            AuditAction::SignInFailed => format!("failed sign-in as {} from {}", text("username"), text("address")),
            AuditAction::SessionRevoked => format!("revoked session {}", text("session")),
            AuditAction::IncidentCreated => "opened the incident".into(),
            AuditAction::IncidentUpdated | AuditAction::IncidentStatusChanged => {
                let fields: Vec<String> = detail["changed"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|f| f.as_str()).map(|f| f.replace('_', " ")).collect())
                    .unwrap_or_default();
                let status = detail["after"]["status"].as_str().and_then(|s| s.parse::<IncidentStatus>().ok());
                match status {
                    Some(s) => format!("moved the incident to {} (changed {})", s.label(), fields.join(", ")),
                    None => format!("changed {}", fields.join(", ")),
                }
            }
            AuditAction::IncidentMemberAdded => {
                format!("added {} to the team", detail["username"].as_str().unwrap_or("a member"))
            }
            AuditAction::IncidentExported => "exported a case bundle".into(),
            AuditAction::ExhibitRegistered => format!("registered exhibit {}", text("exhibit")),
            AuditAction::ExhibitTagged => format!("tagged exhibit {}", text("exhibit")),
            AuditAction::ExhibitDownloaded => format!("downloaded the file of exhibit {}", text("exhibit")),
            AuditAction::ExhibitViewed => format!("viewed the file of exhibit {}", text("exhibit")),
            AuditAction::ChargeAdded => format!("added count {} ({})", number("count"), text("offense")),
            AuditAction::ChargeDropped => format!("dropped count {}: {}", number("count"), text("reason")),
            AuditAction::ChargeMoved => format!("moved count {} to count {}", number("from"), number("to")),
            AuditAction::ChargeDefendantsSet => format!("set the defendants of count {}", number("count")),
            AuditAction::ChargeFiled => {
                format!(
                    "recorded count {} as charged by {} filed on {}",
                    number("count"),
                    text("instrument"),
                    text("date")
                )
            }
            AuditAction::OtherStatuteEntered => {
                format!("entered {} ({}), not from the catalog, as {}", text("citation"), text("title"), text("code"))
            }
            AuditAction::PersonAdded => format!("added {} ({})", text("name"), text("role").replace('_', " ")),
            AuditAction::MappingProposed => {
                format!("proposed {} for {} on count {}", text("exhibit"), text("element"), number("count"))
            }
            AuditAction::MappingReviewed => format!(
                "marked {} for {} on count {} {}",
                text("exhibit"),
                text("element"),
                number("count"),
                text("decision").replace('_', " ")
            ),
            AuditAction::MappingReopened => {
                format!("sent {} for {} back to review: {}", text("exhibit"), text("element"), text("reason"))
            }
            AuditAction::MappingWithdrawn => {
                format!(
                    "withdrew the proposal of {} for {} on count {}",
                    text("exhibit"),
                    text("element"),
                    number("count")
                )
            }
            AuditAction::MappingRevoked => {
                format!("revoked the acceptance of {} for {}: {}", text("exhibit"), text("element"), text("reason"))
            }
            AuditAction::ExhibitParentSet => {
                format!("recorded exhibit {} as taken from exhibit {}", text("exhibit"), text("parent"))
            }
            AuditAction::MemoSaved => format!("saved memo version {}", number("version")),
            AuditAction::MemoApproved => format!("approved memo version {}", number("version")),
            AuditAction::MemoExported => format!("exported memo version {} as PDF", number("version")),
            AuditAction::CertificateExported => {
                format!("exported the FRE 902(14) certification draft of {}", text("exhibit"))
            }
        }
    }
}

/// A stored audit record in words. An action name this version does not know (from a newer
/// release sharing the database) is shown as stored rather than hidden.
pub fn describe(action: &str, detail: &str) -> String {
    let detail: Value = serde_json::from_str(detail).unwrap_or_default();
    match action.parse::<AuditAction>() {
        Ok(known) => known.describe(&detail),
        Err(_) => action.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_round_trip() {
        for action in AuditAction::ALL {
            assert_eq!(action.as_str().parse::<AuditAction>(), Ok(*action));
        }
        assert_eq!(AuditAction::MappingReopened.as_str(), "mapping.reopened");
    }

    #[test]
    fn records_read_as_sentences() {
        assert_eq!(describe("charge.added", r#"{"count":2,"offense":"WIRE-1343"}"#), "added count 2 (WIRE-1343)");
        assert_eq!(describe("something.new", "{}"), "something.new");
    }
}
