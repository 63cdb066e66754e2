//! Pure types and rules of the case: no actix, no diesel. Values are parsed once at the edge
//! (parse, don't validate), so a `Title` or `IncidentNumber` in hand is always well-formed.

#[macro_use]
mod vocabulary {
    /// Declares a closed set of values with their stored name and human label, so the list of
    /// values, their parsing and their display live in one place.
    macro_rules! vocabulary {
        ($(#[$meta:meta])* $name:ident, $what:literal { $($variant:ident => ($code:literal, $label:literal)),+ $(,)? }) => {
            $(#[$meta])*
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
            pub enum $name {
                $(#[serde(rename = $code)] $variant),+
            }

            impl $name {
                pub const ALL: &'static [$name] = &[$($name::$variant),+];

                pub fn as_str(&self) -> &'static str {
                    match self { $($name::$variant => $code),+ }
                }

                pub fn label(&self) -> &'static str {
                    match self { $($name::$variant => $label),+ }
                }
            }

            impl fmt::Display for $name {
                fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str(self.as_str())
                }
            }

            impl FromStr for $name {
                type Err = String;
                fn from_str(s: &str) -> Result<Self, Self::Err> {
                    Self::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| {
                        let names: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                        format!("'{}' is not {} (one of: {})", s, $what, names.join(", "))
                    })
                }
            }
        };
    }
}

pub mod analysis;
pub mod approx;
pub mod audit;
pub mod charge;
pub mod custody;
pub mod evidence;
pub mod exposure;
pub mod ids;
pub mod incident;
pub mod memo;
pub mod other_statute;
pub mod person;
pub mod pin;
pub mod policy;
pub mod user;
pub mod verification;
pub mod victim_sheet;

use serde::Serialize;
use std::fmt;
use time::{OffsetDateTime, PrimitiveDateTime};

/// One problem with one input field, phrased for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Every problem found in one submission, so a form can show them all at once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(field: &str, message: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.add(field, message);
        errors
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError { field: field.to_owned(), message: message.into() });
    }

    /// Keeps the value, or records the error under `field` and returns `None`.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.add(field, message);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The message for one field, for showing it beside that input.
    /// The messages alone, for a one-line notice where the fields are not on the page.
    pub fn messages(&self) -> String {
        self.0.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; ")
    }

    pub fn for_field(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|e| e.field == field).map(|e| e.message.as_str())
    }

    pub fn into_result(self) -> Result<(), ValidationErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for ValidationErrors {}

/// No date of an offense, acquisition or custody event is earlier: a year before it is a typo,
/// and both backends store every date from here to the present alike.
pub const EARLIEST_YEAR: i32 = 1900;

/// The current UTC time, truncated to microseconds: PostgreSQL keeps microseconds and SQLite
/// would keep nanoseconds, and a record must read back identically from either.
pub fn now_utc() -> PrimitiveDateTime {
    let now = OffsetDateTime::now_utc();
    let micros = now.microsecond();
    let now = now.replace_microsecond(micros).unwrap_or(now);
    PrimitiveDateTime::new(now.date(), now.time())
}

/// Trims and checks a required single-line text: not empty, at most `max` characters,
/// no control characters.
pub fn required_line(value: &str, max: usize) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() {
        return Err("is required".into());
    }
    bounded_text(value, max, false)
}

/// Checks a free text of at most `max` characters; `multiline` allows line breaks and tabs.
pub fn bounded_text(value: &str, max: usize, multiline: bool) -> Result<String, String> {
    let count = value.chars().count();
    if count > max {
        return Err(format!("is too long ({count} characters; at most {max})"));
    }
    let allowed = |c: char| multiline && (c == '\n' || c == '\r' || c == '\t');
    if value.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err("contains control characters".into());
    }
    Ok(value.to_owned())
}

/// "2026-11-27 19:47 UTC": how times read on pages and in documents.
pub fn format_time(at: PrimitiveDateTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    at.format(&format).unwrap_or_else(|_| at.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_has_no_sub_microsecond_part() {
        let now = now_utc();
        assert_eq!(now.nanosecond() % 1_000, 0);
    }

    #[test]
    fn required_line_rejects_blank_long_and_control() {
        assert_eq!(required_line("  x  ", 5), Ok("x".to_owned()));
        assert!(required_line("   ", 5).is_err());
        assert!(required_line("abcdef", 5).is_err());
        assert!(required_line("a\u{0007}b", 5).is_err());
        assert!(required_line("a\nb", 5).is_err());
        assert_eq!(bounded_text("a\nb", 5, true), Ok("a\nb".to_owned()));
    }
}
