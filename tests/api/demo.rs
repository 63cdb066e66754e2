//! The demo dataset loads on both backends, once, with its teams and statuses.

use crate::common::TestApp;
use custos::domain::incident::{IncidentFilter, IncidentStatus, RawIncidentFilter};

on_both_backends!(demo_dataset_loads_once);

async fn demo_dataset_loads_once(app: TestApp) {
    let mut conn = app.conn();
    let store = custos::startup::open_store(&app.settings).unwrap();
    let ledger = custos::startup::open_ledger(&app.settings, store.as_ref()).unwrap();
    let summary =
        custos::demo::load_if_empty(&mut conn, store.as_ref(), &ledger).unwrap().expect("empty database loads");
    assert!(summary.incidents >= 3);
    for role in ["investigator", "prosecutor", "supervisor", "auditor", "admin"] {
        assert!(summary.users.iter().any(|(_, r)| r.as_str() == role), "no demo {role}");
    }
    assert!(
        custos::demo::load_if_empty(&mut conn, store.as_ref(), &ledger).unwrap().is_none(),
        "a second load adds nothing"
    );

    let supervisor =
        custos::services::users::authenticate(&mut conn, "elena.park", custos::demo::DEMO_PASSWORD).unwrap().unwrap();
    let filter = IncidentFilter::parse(&RawIncidentFilter::default()).unwrap();
    let all = custos::services::incidents::list(&mut conn, &supervisor, &filter).unwrap();
    assert_eq!(all.total, summary.incidents as i64);
    assert!(all.items.iter().any(|i| i.status == IncidentStatus::ChargingReview));
    assert!(all.items.iter().all(|i| !i.ai_modalities.is_empty()));

    // The sample evidence is stored under the SHA-256 listed beside the fixtures, and every
    // custody chain and the ledger verify.
    let sums =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo/evidence-SHA256SUMS")).unwrap();
    let exhibits: Vec<_> = custos::db::repo::evidence::keys_in_number_order(&mut conn, None)
        .unwrap()
        .into_iter()
        .map(|key| custos::db::repo::evidence::find(&mut conn, key.unwrap().1).unwrap().unwrap())
        .collect();
    assert_eq!(exhibits.len(), summary.exhibits);
    let with_files: Vec<_> = exhibits.iter().filter(|e| e.file.is_some()).collect();
    assert_eq!(with_files.len(), sums.lines().count() + 1, "every file but the one signed at load is listed");
    use custos::domain::analysis::AnalysisKind;
    for exhibit in with_files {
        let file = exhibit.file.as_ref().unwrap();
        match sums.lines().find(|l| l.ends_with(&format!("  {}", file.name.as_deref().unwrap()))) {
            Some(line) => assert!(line.starts_with(&file.sha256), "{line} vs {}", file.sha256),
            None => {
                // Given content credentials when the demo loads: they declare AI generation,
                // bind to the stored bytes, and were read as an upload's would be.
                let reading = custos::db::repo::analyses::latest(
                    &mut conn,
                    exhibit.id,
                    AnalysisKind::ContentCredentials,
                    None,
                    custos::db::repo::analyses::Form::Whole,
                )
                .unwrap()
                .expect("the signed demo image's credentials were read");
                let c = reading.credentials().unwrap();
                assert!(c.ai_declared.is_some(), "{c:?}");
                assert_eq!(c.binding, custos::analysis::credentials::Binding::Holds);
                assert_eq!(reading.record.exhibit_sha256, file.sha256);
            }
        }
    }
    // The agent-run exhibit has its timeline: the operator's four instructions, nine tool
    // executions, ordered although the trace lists its spans in the order they ended.
    let run = exhibits
        .iter()
        .find(|e| e.file.as_ref().and_then(|f| f.name.as_deref()) == Some("agent-run-otel-trace.json"))
        .unwrap();
    let timeline = custos::db::repo::analyses::latest(
        &mut conn,
        run.id,
        AnalysisKind::AgentRun,
        None,
        custos::db::repo::analyses::Form::Whole,
    )
    .unwrap()
    .unwrap();
    let t = timeline.timeline().unwrap();
    use custos::analysis::agent_run::StepKind;
    assert_eq!(t.count(StepKind::Instruction), 4);
    assert_eq!(t.count(StepKind::ToolCall), 9);
    assert!(t.is_complete(), "{:?}", t.gaps);
    let first_tool = t.steps.iter().find(|s| s.kind == StepKind::ToolCall).unwrap();
    assert_eq!(first_tool.tool.as_deref(), Some("recon.scan"));
    assert!(exhibits.iter().any(|e| e.parent.is_some()), "a derived exhibit");
    let report = custos::services::verify::verify(
        &mut conn,
        store.as_ref(),
        &ledger,
        |c| custos::services::evidence::verification_scope(c, None),
        true,
        &mut |_| {},
    )
    .unwrap();
    assert!(report.intact(), "{:?}", report.findings);

    // Candidate counts and mappings in every state, so a new user sees a real coverage matrix.
    use custos::domain::charge::{CellState, MappingStatus};
    let mut statuses = std::collections::HashSet::new();
    let mut cells = std::collections::HashSet::new();
    let mut provable = 0;
    for incident in &all.items {
        for m in custos::services::charges::mappings(&mut conn, &supervisor, incident.number).unwrap() {
            statuses.insert(m.status);
        }
        let rows = custos::services::charges::coverage(&mut conn, &supervisor, incident.number).unwrap().rows;
        for row in &rows {
            provable += usize::from(row.most_serious);
            cells.extend(row.cells.iter().map(|c| c.state));
        }
    }
    for status in MappingStatus::ALL {
        assert!(statuses.contains(status), "no demo mapping is {status}");
    }
    assert_eq!(cells.len(), 3, "proven, proposed and gap cells: {cells:?}");
    assert!(cells.contains(&CellState::Gap));
    assert!(provable >= 1, "a most serious readily provable count");

    // Each demo incident has at least one memo version.
    for incident in &all.items {
        let versions = custos::services::memo::versions(&mut conn, &supervisor, incident.number).unwrap();
        assert!(!versions.is_empty(), "no memo for {}", incident.number);
    }

    // Read as a prosecutor would, with pdftotext: every demo memo says only what its record
    // supports, and an approved version says who approved it.
    let sentences_that_assert_without_a_record = [
        "Artificial intelligence was central",
        "A substantial federal interest is served",
        "Venue lies in",
        "losses totalling $0.00",
        "($0.00 estimated)",
        "verified intact against the ledger",
        "The Department's enforcement priority on AI-enabled crime is engaged",
    ];
    for (i, incident) in all.items.iter().enumerate() {
        let mut latest = custos::services::memo::versions(&mut conn, &supervisor, incident.number).unwrap().remove(0);
        if i == 0 {
            latest =
                custos::services::memo::approve(&mut conn, &supervisor, incident.number, latest.version, "Cleared.")
                    .unwrap();
        }
        let (_, pdf, _) =
            custos::services::memo::export_pdf(&mut conn, &supervisor, incident.number, Some(latest.version)).unwrap();
        let Some(text) = crate::common::pdf_text(&pdf) else { continue };
        for sentence in sentences_that_assert_without_a_record {
            assert!(!text.contains(sentence), "{}: the memo says \"{sentence}\"", incident.number);
        }
        let detail = custos::services::incidents::get(&mut conn, &supervisor, incident.number).unwrap();
        if detail.details.ai_modalities.is_empty() {
            assert!(!text.contains("lists these uses of artificial intelligence"), "{}", incident.number);
        }
        if !detail.details.victims.iter().any(|v| v.loss.is_some()) {
            assert!(!text.contains("recorded losses total"), "{}", incident.number);
        }
        if i == 0 {
            assert!(text.contains("Approved by Elena Park"), "{}: no approval line", incident.number);
            assert!(!text.contains("WORK PRODUCT - DRAFT"), "an approved version still says DRAFT");
        } else {
            assert!(text.contains("Not approved: draft") && text.contains("WORK PRODUCT - DRAFT"));
        }
        assert!(text.contains("Root hash (SHA-256, hex)"), "{}", incident.number);
        if incident.title.starts_with("Autonomous agent intrusion") {
            // The chronology tells the agent run from its timeline: the operator's words and
            // the agent's acts, each citing the exhibit, the span and the analysis.
            let raw = crate::common::pdf_raw_text(&pdf).unwrap();
            let flat = raw.split_whitespace().collect::<Vec<_>>().join(" ");
            let run = exhibits
                .iter()
                .find(|e| e.file.as_ref().and_then(|f| f.name.as_deref()) == Some("agent-run-otel-trace.json"))
                .unwrap()
                .number;
            for expected in [
                "Operator instruction to the agent: \u{201c}Get into Cascade Valley Health".to_owned(),
                format!("[Ex. {run}, span b100000000000001, input message 1; analysis 1]"),
                "Agent ran exploit.run".to_owned(),
                format!("[Ex. {run}, span c100000000000002; analysis 1]"),
                "Operator instruction to the agent: \u{201c}They have not paid. Encrypt every share".to_owned(),
                format!("[Ex. {run}, span c200000000000001; analysis 1]"),
                "Agent-run timeline".to_owned(),
            ] {
                assert!(flat.contains(&expected), "the memo lacks {expected:?}:\n{flat}");
            }
            let instruction = flat.find("They have not paid").unwrap();
            let deploy = flat.find("Agent ran ransom.deploy").unwrap();
            assert!(instruction < deploy, "the instruction comes before the act it caused");
        }
    }
}
