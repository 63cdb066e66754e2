//! The people of an incident as charging sees them: charged defendants, unindicted
//! co-conspirators (whom documents name by a placeholder such as CC-1, as indictments do) and
//! uncharged subjects, each with the aliases they used.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use super::ids::PersonId;
use super::{ValidationErrors, bounded_text, required_line};

vocabulary!(
    /// How a person stands in the case.
    PersonRole, "a role in the case" {
        Defendant => ("defendant", "Charged defendant"),
        CoConspirator => ("co_conspirator", "Unindicted co-conspirator"),
        Subject => ("subject", "Uncharged subject"),
    }
);

/// A person of an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    pub id: PersonId,
    pub name: String,
    pub role: PersonRole,
    /// "CC-1": how documents name an unindicted co-conspirator.
    pub placeholder: Option<String>,
    pub aliases: Vec<String>,
}

impl Person {
    /// The name a charging document may print: an unindicted co-conspirator by placeholder.
    pub fn document_name(&self) -> String {
        match (&self.role, &self.placeholder) {
            (PersonRole::CoConspirator, Some(placeholder)) => placeholder.clone(),
            _ => self.name.clone(),
        }
    }
}

/// A person as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPerson {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub placeholder: Option<String>,
    /// Aliases separated by semicolons or line breaks.
    #[serde(default)]
    pub aliases: Option<String>,
}

/// A person, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonDraft {
    pub name: String,
    pub role: PersonRole,
    pub placeholder: Option<String>,
    pub aliases: Vec<String>,
}

impl PersonDraft {
    pub fn parse(raw: &RawPerson) -> Result<PersonDraft, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let name = errors.check("name", required_line(&raw.name, 200));
        let role = errors.check("role", raw.role.trim().parse::<PersonRole>());
        let placeholder = raw.placeholder.as_deref().map(str::trim).filter(|p| !p.is_empty()).and_then(|p| {
            let ok = p.chars().count() <= 20 && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            if ok {
                Some(p.to_uppercase())
            } else {
                errors.add("placeholder", "letters, digits and hyphens, such as CC-1 (at most 20)");
                None
            }
        });
        if role == Some(PersonRole::CoConspirator) && placeholder.is_none() && errors.for_field("placeholder").is_none()
        {
            errors.add(
                "placeholder",
                "is required for an unindicted co-conspirator: documents name them by it, such as CC-1",
            );
        }
        let mut aliases = Vec::new();
        for alias in raw.aliases.as_deref().unwrap_or("").split([';', '\n']).map(str::trim).filter(|a| !a.is_empty()) {
            if let Some(alias) = errors.check("aliases", bounded_text(alias, 200, false)) {
                aliases.push(alias);
            }
        }
        if aliases.len() > 50 {
            errors.add("aliases", "at most 50 aliases");
        }
        errors.into_result()?;
        match (name, role) {
            (Some(name), Some(role)) => Ok(PersonDraft { name, role, placeholder, aliases }),
            _ => Err(ValidationErrors::single("name", "could not be read")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn co_conspirators_need_a_placeholder_and_aliases_split() {
        let raw = RawPerson { name: "Jun Seong".into(), role: "co_conspirator".into(), ..Default::default() };
        assert!(PersonDraft::parse(&raw).unwrap_err().for_field("placeholder").is_some());
        let raw =
            RawPerson { placeholder: Some("cc-1".into()), aliases: Some("Jun Seong; Park Jinsoo\nJSI".into()), ..raw };
        let draft = PersonDraft::parse(&raw).unwrap();
        assert_eq!(draft.placeholder.as_deref(), Some("CC-1"));
        assert_eq!(draft.aliases, vec!["Jun Seong", "Park Jinsoo", "JSI"]);
        assert!(PersonDraft::parse(&RawPerson { role: "defendant".into(), ..Default::default() }).is_err());
    }
}
