//! The OpenAPI document: served, valid (openapi-spec-validator, from PyPI, where installed;
//! required under CI), and every operation it documents is a real route of the app.

use crate::common::Backend;
use serde_json::Value;

#[actix_web::test]
async fn every_documented_operation_is_served() {
    let app = crate::common::spawn(Backend::Sqlite).await.unwrap();
    let response = app.client.get(app.url("/api/v1/openapi.json")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let doc: Value = response.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");

    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let concrete = path
            .replace("{incident}", "2026-0001")
            .replace("{exhibit}", "2026-0001-E001")
            .replace("{offense}", "WIRE")
            .replace("{count}", "1")
            .replace("{version}", "1")
            .replace("{id}", "00000000-0000-0000-0000-000000000000");
        for method in ["get", "post", "put", "patch"] {
            let Some(operation) = item.get(method) else { continue };
            operations += 1;
            let request = app.client.request(method.to_uppercase().parse().unwrap(), app.url(&concrete));
            let response = request.send().await.unwrap();
            let public = operation.get("security").is_some_and(|s| s.as_array().is_some_and(|a| a.is_empty()));
            if public {
                assert_eq!(response.status(), 200, "{method} {path}");
            } else {
                // A real route asks for the token; an unknown one would answer 404.
                assert_eq!(response.status(), 401, "{method} {path} is documented but not routed");
            }
        }
    }
    assert!(operations >= 15, "only {operations} operations documented");
    // And an undocumented path is not a route.
    assert_eq!(app.client.get(app.url("/api/v1/no-such-thing")).send().await.unwrap().status(), 404);
}

#[test]
fn the_document_is_valid_openapi() {
    let available =
        std::process::Command::new("openapi-spec-validator").arg("--help").output().is_ok_and(|o| o.status.success());
    if !available {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true but openapi-spec-validator is missing (pip install openapi-spec-validator)");
        }
        eprintln!("skipped: OpenAPI validation (pip install openapi-spec-validator)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("openapi.json");
    std::fs::write(&path, custos::routes::api::OPENAPI).unwrap();
    let out = std::process::Command::new("openapi-spec-validator").arg(&path).output().unwrap();
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));

    // A broken document is refused, so the check above can fail.
    let mut broken: Value = serde_json::from_str(custos::routes::api::OPENAPI).unwrap();
    broken["paths"]["/health"]["get"]["responses"] = Value::String("nonsense".into());
    std::fs::write(&path, broken.to_string()).unwrap();
    let out = std::process::Command::new("openapi-spec-validator").arg(&path).output().unwrap();
    assert!(!out.status.success());
}

/// Schemathesis (from PyPI) generates requests from the OpenAPI document against a running
/// `custos serve --demo`, for a bounded number of examples: no answer may be a server error,
/// break the documented schema, status codes or content types. Required under CI.
#[test]
fn schemathesis_finds_no_server_error_or_schema_break() {
    if !crate::common::tool_available("schemathesis", "--version") {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let custos = || {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_custos"));
        command.env_remove("DATABASE_URL").arg("--data-dir").arg(&data);
        command
    };
    let (mut server, url) = crate::common::serve_demo(&data, None);
    let token = custos().args(["token", "create", "--username", "marcus.chen"]).output().unwrap();
    let token = String::from_utf8(token.stdout).unwrap().trim().to_owned();
    let run = std::process::Command::new("schemathesis")
        .args(["run", &format!("{url}/api/v1/openapi.json"), "--url", &url])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args([
            "--checks",
            "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance",
        ])
        .args(["--max-examples", "20", "--seed", "1", "--phases", "examples,coverage,fuzzing"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
    let out = format!("{}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    assert!(run.status.success(), "schemathesis found problems:\n{out}");
    assert!(out.contains("passed"), "{out}");
}
