//! View models shared by several pages: deadlines, mappings, choices in a form, and the
//! safe "back" link. One definition each, used wherever the thing is shown.

use super::format_time;
use crate::domain::charge::{DeadlineState, Limitation, Mapping};
use crate::services::charges::Deadline;
use crate::statutes::Law;

/// The most options a form's select offers. Past it (a national office's users, a case's
/// thousands of exhibits) the form asks for the username or number typed instead, and the
/// service checks it, so no page grows with the office.
pub const CHOICES_MAX: usize = 200;

/// A deadline as a page shows it.
pub struct DeadlineView {
    pub text: String,
    pub class: &'static str,
    pub authority: &'static str,
    /// The reference's caution on the rule, with its label.
    pub note: &'static str,
}

pub fn deadline_view(l: &Limitation) -> DeadlineView {
    let class = match l.state {
        DeadlineState::Passed => "deadline-passed",
        DeadlineState::Warning | DeadlineState::Unknown => "deadline-warning",
        DeadlineState::Open | DeadlineState::NoLimit | DeadlineState::Charged => "deadline-open",
        DeadlineState::NotComputed => "deadline-unknown",
    };
    DeadlineView { text: l.describe(), class, authority: l.authority, note: l.note.unwrap_or_default() }
}

/// Where a pin cite opens: the exhibit at the cited place (lines, rows or bytes shown and
/// marked; a PDF page, an image or a media time through the file view).
fn pin_link(m: &Mapping) -> String {
    match (m.pin_kind, m.pin_cite.as_deref()) {
        (Some(kind), Some(cite)) => format!(
            "/exhibits/{}/at?{}",
            m.exhibit,
            serde_html_form::to_string([("kind", kind.as_str()), ("cite", cite)]).unwrap_or_default()
        ),
        _ => format!("/exhibits/{}/view", m.exhibit),
    }
}

/// The 94 districts for the incident form's list: (abbreviation, "name, circuit").
pub fn district_options() -> Vec<(String, String)> {
    crate::statutes::catalog()
        .map(|c| {
            c.circuits
                .iter()
                .flat_map(|circuit| {
                    circuit.districts.iter().map(move |d| (d.abbr.clone(), format!("{}, {}", d.name, circuit.name)))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// An incident's district as pages state it: with its circuit, or flagged when the recorded
/// text (from before districts were a choice) names none of the 94.
pub fn district_text(district: Option<&str>) -> (String, bool) {
    match district {
        None => ("Not recorded".into(), false),
        Some(text) => match crate::statutes::catalog().ok().and_then(|c| c.district(text)) {
            Some((circuit, d)) => (format!("{} ({}, {})", d.abbr, d.name, circuit.name), false),
            None => (
                format!("\u{201c}{text}\u{201d} is not one of the 94 districts: edit the incident to choose one"),
                true,
            ),
        },
    }
}

pub struct DeadlineRow {
    pub incident: String,
    pub title: String,
    pub count: i32,
    pub citation: String,
    pub view: DeadlineView,
}

pub fn deadline_rows(deadlines: &[Deadline]) -> Vec<DeadlineRow> {
    deadlines
        .iter()
        .map(|d| DeadlineRow {
            incident: d.incident.clone(),
            title: d.incident_title.clone(),
            count: d.count,
            citation: d.citation.clone(),
            view: deadline_view(&d.limitation),
        })
        .collect()
}

/// A mapping as lists show it.
pub struct MappingView {
    pub id: String,
    pub incident: String,
    pub count: i32,
    pub element: String,
    pub element_text: String,
    /// For an entered element: who entered it, and that it is not from the catalog.
    pub element_provenance: String,
    pub exhibit: String,
    pub pin: String,
    /// The exhibit's file view, at the cited page or time where the browser can go there.
    pub pin_link: String,
    pub rationale: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub reason: String,
    pub proposed_by: String,
    pub proposed_at: String,
}

/// `law` is the incident's where it is at hand; lists across incidents pass the catalog alone,
/// and an entered element then says what it is rather than its text.
pub fn mapping_view(incident: &str, m: &Mapping, law: &Law) -> MappingView {
    let element = law.element(&m.element_id);
    let element_text = match element {
        Some((_, e)) => e.text.clone(),
        None if m.element_id.starts_with(crate::statutes::OTHER_PREFIX) => {
            "An element entered for this incident, not from the built-in catalog: open the mapping to read it".into()
        }
        None => String::new(),
    };
    let element_provenance = element.and_then(|(o, _)| o.provenance.clone()).unwrap_or_default();
    MappingView {
        id: m.id.to_string(),
        incident: incident.to_owned(),
        count: m.count,
        element: m.element_id.clone(),
        element_text,
        element_provenance,
        exhibit: m.exhibit.to_string(),
        pin: m.pin().unwrap_or_default(),
        pin_link: pin_link(m),
        rationale: m.rationale.clone(),
        status: m.status.as_str(),
        status_label: m.status.label(),
        reason: m.status_reason.clone().unwrap_or_default(),
        proposed_by: m.proposed_by_name.clone(),
        proposed_at: format_time(m.proposed_at),
    }
}

/// Where a form sends the user back to: a path of Custos's own, never another site.
pub fn safe_back(back: &str, fallback: String) -> String {
    // Browsers read "//host" and "/\\host" as another site; refuse any backslash or control
    // character rather than guess how a browser will read it.
    let own_path =
        back.starts_with('/') && !back.starts_with("//") && !back.contains('\\') && !back.chars().any(char::is_control);
    if own_path { back.to_owned() } else { fallback }
}

/// One choice in a select or checkbox group.
pub struct Choice {
    pub code: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[cfg(test)]
mod tests {
    use super::safe_back;

    #[test]
    fn back_links_stay_on_this_site() {
        let fallback = || "/reviews".to_owned();
        assert_eq!(safe_back("/incidents/2026-0001", fallback()), "/incidents/2026-0001");
        for bad in ["//evil.example/", "/\\evil.example/", "https://evil.example/", "/\tx", "", "evil"] {
            assert_eq!(safe_back(bad, fallback()), "/reviews", "{bad:?}");
        }
    }
}
