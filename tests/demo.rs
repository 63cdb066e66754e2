//! The demo dataset loads on both backends, once, with its teams and statuses.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestApp;
use custos::domain::incident::{IncidentFilter, IncidentStatus, RawIncidentFilter};

on_both_backends!(demo_dataset_loads_once);

async fn demo_dataset_loads_once(app: TestApp) {
    let mut conn = app.conn();
    let summary = custos::demo::load_if_empty(&mut conn).unwrap().expect("empty database loads");
    assert!(summary.incidents >= 3);
    for role in ["investigator", "prosecutor", "supervisor", "auditor", "admin"] {
        assert!(summary.users.iter().any(|(_, r)| r.as_str() == role), "no demo {role}");
    }
    assert!(custos::demo::load_if_empty(&mut conn).unwrap().is_none(), "a second load adds nothing");

    let supervisor =
        custos::services::users::authenticate(&mut conn, "elena.park", custos::demo::DEMO_PASSWORD).unwrap().unwrap();
    let filter = IncidentFilter::parse(&RawIncidentFilter::default()).unwrap();
    let all = custos::services::incidents::list(&mut conn, &supervisor, &filter).unwrap();
    assert_eq!(all.total, summary.incidents as i64);
    assert!(all.items.iter().any(|i| i.status == IncidentStatus::ChargingReview));
    assert!(all.items.iter().all(|i| !i.ai_modalities.is_empty()));
}
