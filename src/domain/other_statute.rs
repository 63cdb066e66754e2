//! Offenses outside the catalog ("other statute" counts: § 1956(h), § 371, 50 U.S.C. § 1705...).
//! A prosecutor enters the citation, title, maximum and elements; they are mapped and reviewed
//! like the catalog's, and wherever they appear they say who entered them and that they are
//! not from the built-in catalog. Entered once and never edited, so a review's fingerprint of
//! an element stays true; a mistake is corrected by entering a new one.

use serde::{Deserialize, Serialize};
use time::PrimitiveDateTime;

use super::ValidationErrors;
use super::ids::UserId;
use super::required_line;
use crate::statutes::{
    Catalog, Element, ElementKind, Label, LimitationRule, Maximum, OTHER_PREFIX, Offense, citation_key,
};

/// Most elements an entered offense may have.
pub const MAX_ELEMENTS: usize = 30;

/// An out-of-catalog offense of one incident, as entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OtherStatute {
    /// "OTHER-1": the id counts and mappings use, numbered within the incident.
    pub code: String,
    pub citation: String,
    pub title: String,
    pub maximum: Maximum,
    pub min_years: u16,
    pub elements: Vec<String>,
    #[serde(skip)]
    pub entered_by: UserId,
    pub entered_by_name: String,
    pub entered_at: PrimitiveDateTime,
}

impl OtherStatute {
    /// What every page and document says of its provenance.
    pub fn provenance(&self) -> String {
        format!("entered by {} on {}; not from the built-in catalog", self.entered_by_name, self.entered_at.date())
    }

    /// The offense as the charging rules see it: elements labelled ENTERED with their
    /// provenance as the source, no limitation rule, no penalty facts.
    pub fn offense(&self) -> Offense {
        let provenance = self.provenance();
        let elements = self
            .elements
            .iter()
            .enumerate()
            .map(|(n, text)| Element {
                id: format!("{}-E{}", self.code, n + 1),
                text: text.clone(),
                label: Label::Entered,
                sources: vec![format!("{} ({provenance})", self.citation)],
                evidence: Vec::new(),
                optional: false,
                theory: None,
                raises_max_years: None,
                raises_min_years: None,
                raises_to_life: false,
                raises_fine_dollars: None,
                kind: ElementKind::Element,
            })
            .collect();
        let (max_years, max_life) = match self.maximum {
            Maximum::Years(n) => (n, false),
            Maximum::Life => (0, true),
        };
        Offense {
            id: self.code.clone(),
            statute: self.citation.clone(),
            subsection: String::new(),
            title: self.title.clone(),
            unit: "Not recorded (out-of-catalog count)".into(),
            max_years,
            min_years: self.min_years,
            repeat_max_years: None,
            consecutive: false,
            same_as_object: false,
            objects: Vec::new(),
            limitation: LimitationRule::NotInCatalog,
            listed_if: Vec::new(),
            unlimited_if: Vec::new(),
            predicates_must_be_listed: false,
            forfeiture: Vec::new(),
            forfeiture_if_fi: None,
            restitution_mandatory: false,
            guideline: "Not in the catalog: find it in the Guidelines' Statutory Index".into(),
            sources: vec![format!("{} ({provenance})", self.citation)],
            notes: vec![format!(
                "Out-of-catalog offense {provenance}: its citation, maximum and elements are as entered; Custos computes no limitation period for it."
            )],
            defenses: Vec::new(),
            predicates: Vec::new(),
            predicate_notes: Vec::new(),
            other_objects: Vec::new(),
            predicate_citations: Vec::new(),
            max_life,
            provenance: Some(provenance),
            elements,
            penalty_facts: Vec::new(),
        }
    }
}

/// An out-of-catalog offense as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOtherStatute {
    #[serde(default)]
    pub citation: String,
    #[serde(default)]
    pub title: String,
    /// The statutory maximum in years; or `life`.
    #[serde(default)]
    pub max_years: Option<u16>,
    #[serde(default)]
    pub life: Option<bool>,
    #[serde(default)]
    pub min_years: Option<u16>,
    /// The elements, in the order they are to be proved.
    #[serde(default)]
    pub elements: Vec<String>,
}

/// An out-of-catalog offense, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherStatuteDraft {
    pub citation: String,
    pub title: String,
    pub maximum: Maximum,
    pub min_years: u16,
    pub elements: Vec<String>,
}

impl OtherStatuteDraft {
    /// Refuses a statute the catalog holds: its offenses are charged from the catalog, with
    /// their sourced elements, never retyped.
    pub fn parse(raw: &RawOtherStatute, catalog: &Catalog) -> Result<OtherStatuteDraft, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let citation = errors.check("citation", required_line(&raw.citation, 120));
        if let Some(citation) = &citation {
            let section = section_of(citation);
            if !citation.chars().any(|c| c.is_ascii_digit()) {
                errors.add("citation", "cite the statute, such as 18 U.S.C. § 1956(h)");
            } else if let Some(offense) = catalog.offenses.iter().find(|o| section_of(&o.statute) == section) {
                errors.add(
                    "citation",
                    format!(
                        "{} is in the built-in catalog ({}): charge it from the catalog, naming an out-of-catalog object where the offense takes one",
                        offense.statute, offense.id
                    ),
                );
            }
        }
        let title = errors.check("title", required_line(&raw.title, 200));
        let maximum = match (raw.life.unwrap_or(false), raw.max_years) {
            (true, None) => Some(Maximum::Life),
            (true, Some(_)) => {
                errors.add("max_years", "give a maximum in years or life, not both");
                None
            }
            (false, Some(n)) if (1..=99).contains(&n) => Some(Maximum::Years(n)),
            (false, Some(_)) => {
                errors.add("max_years", "a statutory maximum is 1 to 99 years (or life)");
                None
            }
            (false, None) => {
                errors.add("max_years", "give the statutory maximum in years, or life");
                None
            }
        };
        let min_years = raw.min_years.unwrap_or(0);
        match maximum {
            Some(Maximum::Years(max)) if min_years > max => {
                errors.add("min_years", "the mandatory minimum cannot exceed the maximum")
            }
            _ if min_years > 99 => errors.add("min_years", "at most 99 years"),
            _ => {}
        }
        let mut elements = Vec::new();
        for text in raw.elements.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
            if text.chars().count() > 1000 {
                errors.add("elements", format!("element {} is too long (at most 1000 characters)", elements.len() + 1));
            }
            elements.push(text.to_owned());
        }
        if elements.is_empty() {
            errors.add("elements", "type the elements the government must prove, one per line");
        } else if elements.len() > MAX_ELEMENTS {
            errors.add("elements", format!("at most {MAX_ELEMENTS} elements"));
        }
        errors.into_result()?;
        match (citation, title, maximum) {
            (Some(citation), Some(title), Some(maximum)) => {
                Ok(OtherStatuteDraft { citation, title, maximum, min_years, elements })
            }
            _ => Err(ValidationErrors::single("citation", "could not be read")),
        }
    }
}

/// "18 U.S.C. § 1030(a)(2)" -> "18usc1030": the section a citation is under.
fn section_of(citation: &str) -> String {
    citation_key(citation).split('(').next().unwrap_or_default().to_owned()
}

/// The code of the incident's `n`th out-of-catalog offense.
pub fn code(n: i32) -> String {
    format!("{OTHER_PREFIX}{n}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn catalog() -> &'static Catalog {
        crate::statutes::catalog().unwrap()
    }

    fn raw(citation: &str) -> RawOtherStatute {
        RawOtherStatute {
            citation: citation.into(),
            title: "Money-laundering conspiracy".into(),
            max_years: Some(20),
            elements: vec!["Two or more persons agreed to launder.".into(), " ".into(), "The defendant joined.".into()],
            ..Default::default()
        }
    }

    #[test]
    fn an_other_statute_is_checked_and_the_catalogs_own_are_refused() {
        let draft = OtherStatuteDraft::parse(&raw("18 U.S.C. § 1956(h)"), catalog()).unwrap();
        assert_eq!(draft.elements.len(), 2, "blank lines are not elements");
        assert_eq!(draft.maximum, Maximum::Years(20));
        for taken in ["18 U.S.C. § 1030(a)(2)(C)", "18 U.S.C. § 1343", "18 USC 1349", "18 U.S.C. § 1028A"] {
            let errors = OtherStatuteDraft::parse(&raw(taken), catalog()).unwrap_err();
            assert!(errors.for_field("citation").is_some_and(|m| m.contains("built-in catalog")), "{taken}");
        }
        // § 1029 is not § 1028; § 10300 is not § 1030.
        assert!(OtherStatuteDraft::parse(&raw("18 U.S.C. § 1029(a)(2)"), catalog()).is_ok());
        let both = RawOtherStatute { life: Some(true), ..raw("50 U.S.C. § 1705") };
        assert!(OtherStatuteDraft::parse(&both, catalog()).unwrap_err().for_field("max_years").is_some());
        let life =
            RawOtherStatute { life: Some(true), max_years: None, min_years: Some(10), ..raw("18 U.S.C. § 2332b") };
        assert_eq!(OtherStatuteDraft::parse(&life, catalog()).unwrap().maximum, Maximum::Life);
        let inverted = RawOtherStatute { min_years: Some(25), ..raw("18 U.S.C. § 371") };
        assert!(OtherStatuteDraft::parse(&inverted, catalog()).unwrap_err().for_field("min_years").is_some());
        let empty = RawOtherStatute { elements: vec![], ..raw("18 U.S.C. § 371") };
        assert!(OtherStatuteDraft::parse(&empty, catalog()).unwrap_err().for_field("elements").is_some());
    }

    #[test]
    fn an_entered_offense_says_who_entered_it_on_every_element() {
        let other = OtherStatute {
            code: code(1),
            citation: "18 U.S.C. § 1956(h)".into(),
            title: "Money-laundering conspiracy".into(),
            maximum: Maximum::Years(20),
            min_years: 0,
            elements: vec!["Agreement.".into(), "Joining.".into()],
            entered_by: UserId::new(),
            entered_by_name: "Paula Price".into(),
            entered_at: datetime!(2026-12-01 10:00),
        };
        let offense = other.offense();
        assert_eq!(offense.citation(), "18 U.S.C. § 1956(h)");
        assert_eq!(offense.maximum_with([]), Maximum::Years(20));
        assert_eq!(offense.limitation, LimitationRule::NotInCatalog);
        assert_eq!(offense.elements[1].id, "OTHER-1-E2");
        assert!(offense.elements.iter().all(|e| e.label == Label::Entered
            && e.label.verify_before_relying()
            && e.sources[0].contains("entered by Paula Price on 2026-12-01; not from the built-in catalog")));
        let law = crate::statutes::Law::new(catalog(), vec![offense]);
        assert_eq!(law.element("OTHER-1-E1").map(|(o, _)| o.id.as_str()), Some("OTHER-1"));
        assert!(law.offense("WIRE").is_some());
    }
}
