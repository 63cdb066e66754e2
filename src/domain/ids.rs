//! Typed identifiers. Stored as text on both backends; parsed from text at the edges.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn new() -> Self {
                Self(Uuid::new_v4())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

uuid_id!(
    /// A user of the deployment.
    UserId
);
uuid_id!(
    /// An incident's internal id; people and URLs use its `IncidentNumber`.
    IncidentId
);
uuid_id!(
    /// An exhibit's internal id; people and URLs use its `ExhibitNumber`.
    ExhibitId
);
uuid_id!(
    /// A count's internal id; people use its number within the incident.
    ChargeId
);
uuid_id!(
    /// An evidence-to-element mapping.
    MappingId
);
uuid_id!(
    /// One saved version of an incident's charging memo; people use its version number.
    MemoVersionId
);
uuid_id!(
    /// A person of an incident: a defendant, an unindicted co-conspirator or a subject.
    PersonId
);

/// An incident number, `YYYY-NNNN`: the year the incident was opened and its sequence in that
/// year, four digits wide and wider past 9,999 (`2026-10000`), so an office that opens more
/// than 9,999 incidents a year never runs out. Assigned by the system, never typed by a user
/// except to look one up. Ordered by year, then sequence: never as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IncidentNumber {
    year: i32,
    seq: i32,
}

impl IncidentNumber {
    /// Eight digits: a hundred million incidents a year.
    pub const MAX_SEQ: i32 = 99_999_999;

    pub fn new(year: i32, seq: i32) -> Option<Self> {
        ((1900..=9999).contains(&year) && (1..=Self::MAX_SEQ).contains(&seq)).then_some(Self { year, seq })
    }

    pub fn year(&self) -> i32 {
        self.year
    }

    pub fn seq(&self) -> i32 {
        self.seq
    }
}

impl fmt::Display for IncidentNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:04}", self.year, self.seq)
    }
}

impl FromStr for IncidentNumber {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("'{s}' is not an incident number (expected YYYY-NNNN)");
        let (year, seq) = s.split_once('-').ok_or_else(bad)?;
        if year.len() != 4
            || !(4..=8).contains(&seq.len())
            || !(year.chars().chain(seq.chars())).all(|c| c.is_ascii_digit())
        {
            return Err(bad());
        }
        let year: i32 = year.parse().map_err(|_| bad())?;
        let seq: i32 = seq.parse().map_err(|_| bad())?;
        let number = Self::new(year, seq).ok_or_else(bad)?;
        // One spelling per incident: 2026-0042 and 2026-10000, never 2026-00042.
        if number.to_string() != s {
            return Err(bad());
        }
        Ok(number)
    }
}

impl Serialize for IncidentNumber {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for IncidentNumber {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incident_numbers_round_trip() {
        let n: IncidentNumber = "2026-0007".parse().unwrap();
        assert_eq!((n.year(), n.seq()), (2026, 7));
        assert_eq!(n.to_string(), "2026-0007");
        let wide: IncidentNumber = "2026-10000".parse().unwrap();
        assert_eq!((wide.seq(), wide.to_string().as_str()), (10_000, "2026-10000"));
        assert!(n < wide && "2026-9999".parse::<IncidentNumber>().unwrap() < wide, "ordered by sequence, not as text");
    }

    #[test]
    fn malformed_incident_numbers_are_refused() {
        for bad in [
            "2026-7",
            "26-0007",
            "2026-0000",
            "2026_0007",
            "2026-00a7",
            "",
            "2026-00007",
            "+026-0007",
            "2026-010000",
            "2026-123456789",
        ] {
            assert!(bad.parse::<IncidentNumber>().is_err(), "{bad} accepted");
        }
    }
}
