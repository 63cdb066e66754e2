//! Users, roles and what each role may do.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use super::ids::UserId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Investigator,
    Prosecutor,
    Supervisor,
    Auditor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Investigator, Role::Prosecutor, Role::Supervisor, Role::Auditor, Role::Admin];

    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Investigator => "investigator",
            Role::Prosecutor => "prosecutor",
            Role::Supervisor => "supervisor",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Role::Investigator => "Investigator",
            Role::Prosecutor => "Prosecutor",
            Role::Supervisor => "Supervisor",
            Role::Auditor => "Auditor",
            Role::Admin => "Administrator",
        }
    }

    /// Supervisors see every incident of the deployment; everyone else only their teams'.
    pub fn sees_all_incidents(&self) -> bool {
        matches!(self, Role::Supervisor)
    }

    /// Roles that may change case content (on incidents they can see). Auditors only read;
    /// administrators manage the deployment, not cases.
    pub fn writes_cases(&self) -> bool {
        matches!(self, Role::Investigator | Role::Prosecutor | Role::Supervisor)
    }

    /// Roles that make charging decisions (charged, declined).
    pub fn decides_charges(&self) -> bool {
        matches!(self, Role::Prosecutor | Role::Supervisor)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("'{s}' is not a role (investigator, prosecutor, supervisor, auditor, admin)"))
    }
}

/// A login name: 2 to 64 characters of lowercase letters, digits, '.', '_' or '-'.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw.trim();
        let valid_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-_".contains(c);
        if !(2..=64).contains(&value.len()) {
            return Err("must be 2 to 64 characters".into());
        }
        if !value.chars().all(valid_char) {
            return Err("may hold only lowercase letters, digits, '.', '_' and '-'".into());
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A new password, checked against a minimum length. Never logged, never displayed.
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN_CHARS: usize = 12;

    pub fn parse(raw: String) -> Result<Self, String> {
        let count = raw.chars().count();
        if count < Self::MIN_CHARS {
            return Err(format!("must be at least {} characters", Self::MIN_CHARS));
        }
        if count > 1024 {
            return Err("must be at most 1024 characters".into());
        }
        Ok(Self(raw))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(..)")
    }
}

/// A user as the rest of the application sees it (no password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub full_name: String,
    pub role: Role,
    pub active: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_and_print() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn only_case_roles_write() {
        assert!(Role::Investigator.writes_cases());
        assert!(!Role::Auditor.writes_cases());
        assert!(!Role::Admin.writes_cases());
        assert!(Role::Supervisor.sees_all_incidents());
        assert!(!Role::Prosecutor.sees_all_incidents());
    }

    #[test]
    fn usernames_are_checked() {
        assert!(Username::parse("j.doe").is_ok());
        assert!(Username::parse("J.Doe").is_err());
        assert!(Username::parse("a").is_err());
        assert!(Username::parse("has space").is_err());
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(NewPassword::parse("short".into()).is_err());
        assert!(NewPassword::parse("long enough pass".into()).is_ok());
    }
}
