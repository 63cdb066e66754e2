//! Property tests of what reads untrusted text: the canonical encoding the ledger hashes, the
//! incident and exhibit number parsers, pin cites and the upload metadata. Each runs the
//! number of cases `PROPTEST_CASES` sets (256 by default; CI runs more).

use custos::domain::charge::{MappingDraft, RawMapping};
use custos::domain::evidence::{ExhibitDraft, ExhibitNumber, RawExhibit};
use custos::domain::ids::IncidentNumber;
use custos::ledger::canonical::to_canonical;
use proptest::prelude::*;
use serde_json::Value;

/// JSON without floats (the ledger refuses them), nested a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| Value::Number(n.into())),
        any::<u64>().prop_map(|n| Value::Number(n.into())),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Text made mostly of the characters numbers are written with, so that near misses of the
/// real format are tried, not only noise.
fn number_like() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            8 => prop::sample::select(vec!['0', '1', '2', '7', '9', '-', 'E', 'e']),
            1 => any::<char>(),
        ],
        0..16,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #[test]
    fn canonical_text_reads_back_as_the_same_value_and_is_stable(value in json_value()) {
        let canonical = to_canonical(&value).unwrap();
        let read: Value = serde_json::from_str(&canonical).unwrap();
        prop_assert_eq!(&read, &value);
        prop_assert_eq!(to_canonical(&read).unwrap(), canonical);
    }

    #[test]
    fn canonical_objects_are_key_order_independent(
        pairs in prop::collection::vec((any::<String>(), any::<i64>()), 0..12)
    ) {
        let forward: serde_json::Map<String, Value> = pairs.iter().map(|(k, v)| (k.clone(), (*v).into())).collect();
        let backward: serde_json::Map<String, Value> = pairs.iter().rev().map(|(k, v)| (k.clone(), (*v).into())).collect();
        // Later duplicates win in each map; compare only when both saw the same keys last.
        let same = forward == backward;
        if same {
            prop_assert_eq!(to_canonical(&Value::Object(forward)).unwrap(), to_canonical(&Value::Object(backward)).unwrap());
        }
    }

    #[test]
    fn incident_numbers_parse_only_their_own_form(text in number_like()) {
        if let Ok(number) = text.parse::<IncidentNumber>() {
            prop_assert_eq!(number.to_string(), text);
        }
    }

    #[test]
    fn incident_numbers_round_trip(year in 1900i32..=9999, seq in 1i32..=IncidentNumber::MAX_SEQ) {
        let number = IncidentNumber::new(year, seq).unwrap();
        prop_assert_eq!(number.to_string().parse::<IncidentNumber>().unwrap(), number);
    }

    #[test]
    fn exhibit_numbers_parse_only_their_own_form(text in number_like()) {
        if let Ok(number) = text.parse::<ExhibitNumber>() {
            prop_assert_eq!(number.to_string().parse::<ExhibitNumber>().unwrap(), number);
        }
    }

    #[test]
    fn pin_cites_are_checked_without_panicking(
        kind in prop::option::of(prop_oneof![
            Just("page".to_owned()), Just("offset".to_owned()), Just("timestamp".to_owned()), any::<String>()
        ]),
        cite in prop::option::of(any::<String>()),
    ) {
        let raw = RawMapping {
            count: Some(1),
            element: "WIRE-E1".into(),
            exhibit: "2026-0001-E001".into(),
            pin_kind: kind,
            pin_cite: cite,
            rationale: "Shows the wire".into(),
        };
        if let Ok(draft) = MappingDraft::parse(&raw) {
            prop_assert!(draft.pin_cite.as_ref().is_none_or(|c| !c.chars().any(char::is_control)));
        }
    }

    #[test]
    fn upload_metadata_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512), text in any::<String>()) {
        let now = custos::domain::now_utc();
        for input in [bytes.as_slice(), text.as_bytes()] {
            if let Ok(raw) = serde_json::from_slice::<RawExhibit>(input) {
                let _ = ExhibitDraft::parse(&raw, now);
            }
        }
    }

    #[test]
    fn upload_metadata_fields_are_checked(value in json_value()) {
        let now = custos::domain::now_utc();
        let mut object = serde_json::Map::new();
        for key in ["kind", "description", "source", "sha256", "file_name", "parent"] {
            object.insert(key.to_owned(), value.clone());
        }
        if let Ok(raw) = serde_json::from_value::<RawExhibit>(Value::Object(object)) {
            let _ = ExhibitDraft::parse(&raw, now);
        }
    }
}
