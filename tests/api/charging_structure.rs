//! A real indictment's charging structure, entered as a prosecutor would: the laptop-farm
//! scheme with nine defendants, charged with § 1349, § 1028(f), § 1028A, § 1030(b) and, outside
//! the catalog, § 1956(h) and 50 U.S.C. § 1705. Out-of-catalog offenses are entered with their
//! elements, mapped and reviewed like catalog ones, and labelled as entered by a named user
//! everywhere they appear. On both backends, through the API and the pages.

use crate::common::{PASSWORD, TestApp, csrf_from, pdf_raw_text, sample_exhibit, sample_incident};
use custos::domain::user::Role;
use serde_json::{Value, json};

on_both_backends!(
    a_nine_defendant_laptop_farm_is_charged_as_indicted,
    out_of_catalog_offenses_from_the_pages,
    a_defendants_exposure_in_coverage_and_the_memo
);

const DEFENDANTS: [&str; 9] = [
    "Christina Marie Chapman",
    "Oleksandr Didenko",
    "Jin Sung-Il",
    "Pak Jin-Song",
    "Erick Ntekereze Prince",
    "Emanuel Ashtor",
    "Matthew Isaac Knoot",
    "Kejia Wang",
    "Zhenxing Wang",
];

async fn a_nine_defendant_laptop_farm_is_charged_as_indicted(app: TestApp) {
    let paula = app.user("paula", Role::Prosecutor);
    let rita = app.user("rita", Role::Prosecutor);
    let dana = app.user("dana", Role::Investigator);
    let number = app.open_incident(&paula, sample_incident()).await["number"].as_str().unwrap().to_owned();
    for member in ["rita", "dana"] {
        app.post(&paula, &format!("/api/v1/incidents/{number}/members"), &json!({ "username": member })).await;
    }
    let mut ids = Vec::new();
    for name in DEFENDANTS {
        ids.push(app.defendant(&paula, &number, name).await);
    }
    let all: Vec<&str> = ids.iter().map(String::as_str).collect();

    // Offenses outside the catalog, entered with their elements; one the catalog holds is refused.
    let others = format!("/api/v1/incidents/{number}/other-statutes");
    let before = app.snapshot();
    let r = app
        .post(
            &paula,
            &others,
            &json!({ "citation": "18 U.S.C. § 1343", "title": "Wire fraud", "max_years": 20, "elements": ["A scheme."] }),
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("built-in catalog"), "the catalog's own statute is charged from it");
    assert_eq!(app.snapshot(), before, "a refused entry changes nothing");
    let laundering: Value = app
        .post(
            &paula,
            &others,
            &json!({
                "citation": "18 U.S.C. § 1956(h)",
                "title": "Money-laundering conspiracy",
                "max_years": 20,
                "elements": [
                    "Two or more persons agreed to launder the proceeds of the wire-fraud scheme.",
                    "The defendant knew the unlawful purpose of the agreement and joined it willfully."
                ]
            }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(laundering["code"], "OTHER-1");
    assert_eq!(laundering["elements"][0]["id"], "OTHER-1-E1");
    assert_eq!(laundering["elements"][0]["label"], "ENTERED");
    assert!(laundering["provenance"].as_str().unwrap().starts_with("entered by paula on "), "{laundering}");
    let r = app
        .post(
            &paula,
            &others,
            &json!({
                "citation": "50 U.S.C. § 1705",
                "title": "Conspiracy to violate the International Emergency Economic Powers Act",
                "max_years": 20,
                "elements": [
                    "An executive order under IEEPA prohibited the transactions.",
                    "The defendant conspired to export services to a sanctioned country without a license.",
                    "The defendant acted willfully."
                ]
            }),
        )
        .await;
    assert_eq!(r.status(), 201);

    // The counts, as indicted.
    let charges = format!("/api/v1/incidents/{number}/charges");
    let add = |body: Value| {
        let (app, paula, charges) = (&app, &paula, charges.clone());
        async move {
            let r = app.post(paula, &charges, &body).await;
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap())
        }
    };
    let counts = [
        json!({ "offense": "WIRE-1349", "object_offense": "WIRE", "concerns": "Agreement to obtain salaries from U.S. employers under false identities", "defendants": all }),
        json!({ "offense": "ID-F-CONSP", "object_offense": "ID-A7", "concerns": "Agreement to use stolen U.S. identities", "defendants": all }),
        json!({ "offense": "ID-A7", "concerns": "Identity of a U.S. citizen used for a job application", "defendants": [ids[0]] }),
        json!({ "offense": "CFAA-B", "object_offense": "CFAA-A5A", "concerns": "Agreement to plant a destructive script", "penalty_facts": ["CFAA-A5A-P1"], "defendants": [ids[1]] }),
        json!({ "offense": "OTHER-1", "concerns": "Salaries moved overseas through the facilitator's accounts", "defendants": [ids[0], ids[2]] }),
        json!({ "offense": "OTHER-2", "concerns": "IT services exported for the benefit of a sanctioned government", "defendants": all }),
    ];
    for body in counts {
        let (status, body) = add(body).await;
        assert_eq!(status, 201, "{body}");
    }
    // A § 1349 conspiracy's object outside the catalog must be a chapter 63 offense.
    let (status, body) =
        add(json!({ "offense": "WIRE-1349", "object_offense": "OTHER-2", "concerns": "x", "defendants": [ids[0]] }))
            .await;
    assert_eq!(status, 422);
    assert!(body.to_string().contains("50 U.S.C. § 1705 cannot be the object of WIRE-1349"), "{body}");
    // § 1028A: a § 1028(a)(7) predicate is refused with the reason; the § 1349 count is linked.
    let agg = |predicate: i64| json!({ "offense": "AGG-ID", "concerns": "A U.S. citizen's identity used to pass a background check", "defendants": [ids[0]], "predicate": predicate });
    let (status, body) = add(agg(3)).await;
    assert_eq!(status, 422);
    assert!(body.to_string().contains("excluded by name"), "{body}");
    let (status, body) = add(agg(1)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["count"], 7);

    // The prosecutor's order: the § 1028A count moves up, ahead of the sanctions count.
    let r = app.post(&paula, &format!("{charges}/7/move"), &json!({ "direction": "up" })).await;
    assert_eq!(r.status(), 200);
    let listed: Value = app.get(&paula, &charges).await.json().await.unwrap();
    let citations: Vec<&str> =
        listed["items"].as_array().unwrap().iter().map(|c| c["citation"].as_str().unwrap()).collect();
    assert_eq!(
        citations,
        vec![
            "18 U.S.C. § 1349 (conspiracy to violate § 1343)",
            "18 U.S.C. § 1028(f) (conspiracy to violate § 1028(a)(7))",
            "18 U.S.C. § 1028(a)(7)",
            "18 U.S.C. § 1030(b) (conspiracy to violate § 1030(a)(5)(A))",
            "18 U.S.C. § 1956(h)",
            "18 U.S.C. § 1028A(a)(1)",
            "50 U.S.C. § 1705",
        ]
    );
    let laundering_count = &listed["items"][4];
    assert!(laundering_count["provenance"].as_str().unwrap().contains("not from the built-in catalog"));
    assert_eq!(listed["items"][0]["defendants"].as_array().unwrap().len(), 9);

    // Coverage: the conspiracy to damage carries ten years; the entered counts their own
    // maximum, no limitation period, and elements labelled as entered.
    let coverage: Value = app.get(&paula, &format!("/api/v1/incidents/{number}/coverage")).await.json().await.unwrap();
    let row = |count: i64| {
        coverage["charges"].as_array().unwrap().iter().find(|c| c["charge"]["count"] == count).unwrap().clone()
    };
    assert_eq!(row(4)["maximum"], json!({ "years": 10 }));
    let sanctions = row(7);
    assert_eq!(sanctions["citation"], "50 U.S.C. § 1705");
    assert_eq!(sanctions["maximum"], json!({ "years": 20 }));
    assert_eq!(sanctions["limitation"]["years"], Value::Null, "no limitation rule is guessed");
    assert!(
        sanctions["cells"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["label"] == "ENTERED" && c["provenance"].as_str().unwrap().contains("entered by paula"))
    );

    // An entered element is proved like a catalog one: proposed by the investigator, accepted
    // by a prosecutor; an element of another offense is refused on the count.
    assert_eq!(app.upload(&dana, &number, sample_exhibit(), b"wire transfer records".to_vec()).await.status(), 201);
    let exhibit = format!("{number}-E001");
    let mappings = format!("/api/v1/incidents/{number}/mappings");
    let r = app
        .post(&dana, &mappings, &json!({ "count": 5, "element": "WIRE-E1", "exhibit": exhibit, "rationale": "r" }))
        .await;
    assert_eq!(r.status(), 422);
    let r = app
        .post(
            &dana,
            &mappings,
            &json!({ "count": 5, "element": "OTHER-1-E1", "exhibit": exhibit, "rationale": "Transfers from the facilitator's accounts to overseas accounts" }),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let mapping: Value = app.get(&dana, &mappings).await.json().await.unwrap();
    let id = mapping["items"][0]["id"].as_str().unwrap().to_owned();
    let r = app.post(&rita, &format!("/api/v1/mappings/{id}/review"), &json!({ "decision": "accepted" })).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let reviewed: Value = r.json().await.unwrap();
    assert_eq!(
        reviewed["reviews"][0]["element_fingerprint"].as_str().unwrap().len(),
        64,
        "the entered text is fingerprinted"
    );
    let coverage: Value = app.get(&paula, &format!("/api/v1/incidents/{number}/coverage")).await.json().await.unwrap();
    let laundering_row = coverage["charges"].as_array().unwrap().iter().find(|c| c["charge"]["count"] == 5).unwrap();
    assert_eq!(laundering_row["cells"][0]["state"], "proven");

    // Per defendant: the third defendant is charged in counts 1, 2, 5 and 7.
    let only: Value = app
        .get(&paula, &format!("/api/v1/incidents/{number}/coverage?defendant={}", ids[2]))
        .await
        .json()
        .await
        .unwrap();
    let theirs: Vec<i64> =
        only["charges"].as_array().unwrap().iter().map(|c| c["charge"]["count"].as_i64().unwrap()).collect();
    assert_eq!(theirs, vec![1, 2, 5, 7]);

    // The memo: in the prosecutor's order, each count's defendants and object in its caption,
    // the entered offenses labelled in the PDF's text.
    let r = app.post(&paula, &format!("/api/v1/incidents/{number}/memos"), &json!({})).await;
    assert_eq!(r.status(), 201);
    let memo: Value = app.get(&paula, &format!("/api/v1/incidents/{number}/memos/1")).await.json().await.unwrap();
    let order: Vec<i64> =
        memo["content"]["charges"].as_array().unwrap().iter().map(|c| c["count"].as_i64().unwrap()).collect();
    assert_eq!(order, vec![1, 2, 3, 4, 5, 6, 7]);
    let entered = &memo["content"]["charges"][4];
    assert!(entered["provenance"].as_str().unwrap().contains("entered by paula"));
    assert!(entered["limitation"].as_str().unwrap().starts_with("Not computed"));
    let pdf = app.get(&paula, &format!("/api/v1/incidents/{number}/memos/1.pdf")).await.bytes().await.unwrap();
    if let Some(text) = pdf_raw_text(&pdf) {
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for name in DEFENDANTS {
            assert!(text.contains(name), "the caption names {name}");
        }
        assert!(text.contains("(conspiracy to violate § 1343)"), "the object is named");
        let first = text.find("Count 5: 18 U.S.C. § 1956(h)").expect("count 5 in the caption");
        let last = text.find("Count 7: 50 U.S.C. § 1705").expect("count 7 in the caption");
        assert!(first < last, "the caption follows the prosecutor's order");
        assert!(text.contains("[ENTERED]"), "entered elements carry their label");
        assert!(text.contains("entered by paula on"), "and who entered them");
        assert!(text.contains("not from the built-in catalog"));
    }
}

async fn out_of_catalog_offenses_from_the_pages(app: TestApp) {
    let paula = app.user("paula", Role::Prosecutor);
    let number = app.open_incident(&paula, sample_incident()).await["number"].as_str().unwrap().to_owned();
    app.defendant(&paula, &number, "Carla Brandt").await;
    let olek = app.defendant(&paula, &number, "Olek Dorn").await;
    let browser = app.browser();
    let csrf = app.sign_in(&browser, "paula", PASSWORD).await;
    let page = |path: String| {
        let (browser, url) = (browser.clone(), app.url(&path));
        async move {
            let r = browser.get(url).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    // The form, prefilled from the reference's list with its label.
    let (status, html) = page(format!("/incidents/{number}/other-statutes")).await;
    assert_eq!(status, 200);
    assert!(html.contains("50 U.S.C. § 1705") && html.contains("label-STAT"), "the reference's related statutes");
    let (_, html) = page(format!(
        "/incidents/{number}/other-statutes?citation=18+U.S.C.+%C2%A7+1956%28h%29&title=Money-laundering+conspiracy"
    ))
    .await;
    assert!(html.contains("value=\"18 U.S.C. § 1956(h)\""), "prefilled");
    assert_eq!(csrf_from(&html), csrf);

    // Refused with every problem shown, nothing saved; then entered.
    let before = app.snapshot();
    let r = browser
        .post(app.url(&format!("/incidents/{number}/other-statutes")))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("citation", "18 U.S.C. § 1956(h)"),
            ("title", ""),
            ("max_years", "twenty"),
            ("elements", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("a whole number of years"), "{html}");
    assert_eq!(app.snapshot(), before);
    let r = browser
        .post(app.url(&format!("/incidents/{number}/other-statutes")))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("citation", "18 U.S.C. § 1956(h)"),
            ("title", "Money-laundering conspiracy"),
            ("max_years", "20"),
            ("elements", "Two or more persons agreed to launder.\r\n\r\nThe defendant joined willfully.\r\n"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "on to the count form");
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, format!("/incidents/{number}/charges/new?offense=OTHER-1"));
    let (status, html) = page(location).await;
    assert_eq!(status, 200);
    assert!(html.contains("ENTERED") && html.contains("not from the built-in catalog"));

    // The count, then the coverage page labels it and its elements.
    let people: Value = app.get(&paula, &format!("/api/v1/incidents/{number}/people")).await.json().await.unwrap();
    let carla = people["items"].as_array().unwrap().iter().find(|p| p["name"] == "Carla Brandt").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = browser
        .post(app.url(&format!("/incidents/{number}/charges")))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("offense", "OTHER-1"),
            ("concerns", "Salaries moved overseas"),
            ("offense_date", "2026-04-30"),
            ("defendants", carla.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, html) = page(format!("/incidents/{number}/coverage")).await;
    assert!(html.contains("Count 1: <a href=\"/incidents/") && html.contains("18 U.S.C. § 1956(h)"));
    assert!(
        html.contains("OTHER-1-E2") && html.contains("The defendant joined willfully."),
        "both elements, no blank one"
    );
    assert!(!html.contains("OTHER-1-E3"));
    assert!(html.contains("entered by paula on"));
    assert!(
        html.contains("not computed: the count or its object is outside the catalog"),
        "no limitation deadline is invented"
    );
    let (_, html) = page(format!("/incidents/{number}/other-statutes")).await;
    assert!(html.contains("id=\"OTHER-1\""));

    // The coverage page read per defendant.
    let (status, html) = page(format!("/incidents/{number}/coverage?defendant={carla}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Counts charging Carla Brandt") && html.contains("id=\"count-1\""));
    let (_, html) = page(format!("/incidents/{number}/coverage?defendant={olek}")).await;
    assert!(html.contains("No candidate count charges this defendant") && !html.contains("id=\"count-1\""));
    assert_eq!(page(format!("/incidents/{number}/coverage?defendant=nobody")).await.0, 404);

    // The prosecutor records the indictment: the count's clock stops.
    let r = browser
        .post(app.url(&format!("/incidents/{number}/charges/1/charged")))
        .form(&[("csrf_token", csrf.as_str()), ("date", "2026-05-01"), ("instrument", "indictment")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, html) = page(format!("/incidents/{number}/coverage")).await;
    assert!(html.contains("charged on 2026-05-01: the clock has stopped"));
    assert!(!html.contains("Record that count 1 was charged"), "recorded once");
}

/// Each defendant's exposure, count by count, on the coverage API and in the memo PDF: § 1349
/// (object § 1343, $10.2M gain), § 1028A and § 1030(b) to violate (a)(5)(A) ($3M loss).
async fn a_defendants_exposure_in_coverage_and_the_memo(app: TestApp) {
    let paula = app.user("paula", Role::Prosecutor);
    let mut incident = sample_incident();
    incident["victims"] =
        json!([{ "name": "Fourteen employers", "kind": "business", "estimated_loss_usd": "3000000" }]);
    let number = app.open_incident(&paula, incident).await["number"].as_str().unwrap().to_owned();
    let carla = app.defendant(&paula, &number, "Carla Brandt").await;
    let charges = format!("/api/v1/incidents/{number}/charges");
    for body in [
        json!({ "offense": "WIRE-1349", "object_offense": "WIRE", "concerns": "Salary scheme", "gain": "10,200,000", "defendants": [carla] }),
        json!({ "offense": "AGG-ID", "concerns": "A citizen's identity", "predicate": 1, "defendants": [carla] }),
        json!({ "offense": "CFAA-B", "object_offense": "CFAA-A5A", "penalty_facts": ["CFAA-A5A-P1"], "concerns": "Build-server wiper", "loss": "3000000", "defendants": [carla] }),
    ] {
        let r = app.post(&paula, &charges, &body).await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }
    let r = app.post(&paula, &charges, &json!({ "offense": "WIRE", "concerns": "x", "gain": "ten million" })).await;
    assert_eq!(r.status(), 422, "a gain must be an amount");
    let coverage: Value = app.get(&paula, &format!("/api/v1/incidents/{number}/coverage")).await.json().await.unwrap();
    let mine = &coverage["exposure"][0];
    assert_eq!(mine["defendant"], "Carla Brandt");
    let counts = mine["counts"].as_array().unwrap();
    assert!(counts[0]["prison"].as_str().unwrap().starts_with("Up to 20 years"));
    assert!(counts[1]["prison"].as_str().unwrap().contains("mandatory 2 years, consecutive"));
    assert!(counts[2]["prison"].as_str().unwrap().starts_with("Up to 10 years"));
    assert_eq!(counts[0]["fine_ceiling_cents"], 2_040_000_000_i64, "twice the gain");
    assert!(counts[0]["restitution"].as_str().unwrap().starts_with("Mandatory (§ 3663A"));
    assert_eq!(mine["consecutive_years"], 2);
    assert_eq!(mine["estimated_level"], 23, "7 + 16 for $3M");
    let r = app.post(&paula, &format!("/api/v1/incidents/{number}/memos"), &json!({})).await;
    assert_eq!(r.status(), 201);
    let pdf = app.get(&paula, &format!("/api/v1/incidents/{number}/memos/1.pdf")).await.bytes().await.unwrap();
    if let Some(text) = pdf_raw_text(&pdf) {
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for figure in [
            "Sentencing exposure by defendant",
            "Up to 20 years",
            "mandatory 2 years, consecutive",
            "Up to 10 years",
            "Up to $20,400,000.00",
            "+16 for a loss of $3,000,000.00",
            "Estimated offense level 23",
        ] {
            assert!(text.contains(figure), "the memo PDF states {figure:?}");
        }
    }
}
