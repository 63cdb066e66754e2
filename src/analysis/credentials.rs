//! C2PA content credentials on an image, audio or video file, read offline with the `c2pa`
//! crate (Rust-native crypto; no HTTP client is compiled in, no remote manifest, no OCSP
//! fetch): who made the claim and signed it, whether the signing certificate chains to a
//! trust anchor (Custos holds none, so a valid chain reads "not on a trust list"), the actions
//! recorded, whether the manifest declares the content AI-generated, and whether the manifest's
//! hash binding to the file's bytes holds.
//!
//! The absence of content credentials proves nothing about a file's authenticity: most
//! cameras, phones and editors write none, and stripping them is trivial.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::io::{Read, Seek};

/// The reader recorded with every result.
pub const READER: &str = "c2pa (Rust SDK for C2PA)";
/// The `c2pa` crate version this build links; Cargo.toml pins it exactly.
pub const READER_VERSION: &str = "0.90.22";

/// IPTC digital source types that declare generative AI made the content.
const AI_GENERATED: &str = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";
const AI_COMPOSITE: &str = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia";

/// Said wherever a reading is shown.
pub const ABSENCE_CAUTION: &str = "The absence of content credentials proves nothing about a file's authenticity: \
most cameras, phones and editing tools write none, and they are easily stripped.";

/// Media types worth reading: images, audio and video.
pub fn applies_to(media_type: Option<&str>) -> bool {
    media_type.is_some_and(|m| m.starts_with("image/") || m.starts_with("audio/") || m.starts_with("video/"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A manifest store was found and read.
    Read,
    /// The file carries no C2PA manifest.
    NoCredentials,
    /// The reader does not handle this file's format.
    Unsupported,
    /// A manifest is there but could not be read (damaged, or a form the reader refuses).
    Unreadable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Binding {
    /// The hash of the file's bytes matches the manifest's hash assertion.
    Holds,
    /// It does not: the bytes were changed after signing.
    Fails,
    /// The reader recorded no hash check.
    NotChecked,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignerStatus {
    /// Chains to a configured trust anchor.
    Trusted,
    /// Valid, but chains to no trust anchor Custos holds.
    NotOnTrustList,
    Expired,
    Revoked,
    Invalid,
    Unknown,
}

impl SignerStatus {
    pub fn label(self) -> &'static str {
        match self {
            SignerStatus::Trusted => "trusted: chains to a configured trust anchor",
            SignerStatus::NotOnTrustList => {
                "not on a trust list: the chain was checked offline against none (Custos holds no C2PA trust list), so who holds the key is not established"
            }
            SignerStatus::Expired => "expired at signing",
            SignerStatus::Revoked => "revoked",
            SignerStatus::Invalid => "invalid",
            SignerStatus::Unknown => "not reported by the reader",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signer {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub issuer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub common_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub algorithm: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub serial: Option<String>,
    /// The time stamp's time, where the signature carries one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub signed_at: Option<String>,
    pub status: SignerStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    pub action: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub digital_source_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub software_agent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub when: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub explanation: Option<String>,
}

/// One reading of a file's content credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    pub outcome: Outcome,
    /// Why the manifest could not be read, or the format is not handled.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub problem: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub manifest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub claim_generator: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub signer: Option<Signer>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub actions: Vec<Action>,
    /// The digital source type by which the manifest declares the content AI-generated.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ai_declared: Option<String>,
    pub binding: Binding,
    /// The reader's overall state: "Invalid", "Valid" or "Trusted".
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub failures: Vec<Status>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub successes: Vec<Status>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ingredients: Option<usize>,
}

impl Credentials {
    fn empty(outcome: Outcome, problem: Option<String>) -> Credentials {
        Credentials {
            outcome,
            problem,
            manifest: None,
            claim_generator: None,
            title: None,
            signer: None,
            actions: Vec::new(),
            ai_declared: None,
            binding: Binding::NotChecked,
            state: None,
            failures: Vec::new(),
            successes: Vec::new(),
            ingredients: None,
        }
    }

    /// One sentence of what the reading shows, for lists, the custody record and the memo.
    pub fn summary(&self) -> String {
        match self.outcome {
            Outcome::NoCredentials => "no content credentials (no C2PA manifest in the file)".to_owned(),
            Outcome::Unsupported => format!(
                "not read: {}",
                self.problem.as_deref().unwrap_or("the C2PA reader does not handle this format")
            ),
            Outcome::Unreadable => format!(
                "a C2PA manifest is present but could not be read: {}",
                self.problem.as_deref().unwrap_or("damaged")
            ),
            Outcome::Read => {
                let declared = match self.ai_declared.as_deref() {
                    Some(AI_COMPOSITE) => {
                        "declares the content partly AI-generated (compositeWithTrainedAlgorithmicMedia)"
                    }
                    Some(_) => "declares the content AI-generated (trainedAlgorithmicMedia)",
                    None => "does not declare the content AI-generated",
                };
                let binding = match self.binding {
                    Binding::Holds => "its hash binding to the file holds",
                    Binding::Fails => "its hash binding to the file FAILS: the bytes were changed after signing",
                    Binding::NotChecked => "its hash binding to the file was not checked",
                };
                let signer = self
                    .signer
                    .as_ref()
                    .map(|s| {
                        format!(
                            "; signed by {} ({})",
                            s.common_name.as_deref().or(s.issuer.as_deref()).unwrap_or("an unnamed signer"),
                            s.status.label()
                        )
                    })
                    .unwrap_or_default();
                format!("C2PA manifest {declared}; {binding}{signer}")
            }
        }
    }
}

/// Reads the content credentials of `file`, of media type `media_type`, offline. The reader
/// parses untrusted bytes: should it panic on some file, the reading says so rather than
/// taking the request (or the upload's background reading) down with it.
pub fn read(media_type: &str, file: impl Read + Seek + Send) -> Credentials {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_unguarded(media_type, file))).unwrap_or_else(|_| {
        Credentials::empty(Outcome::Unreadable, Some(format!("the C2PA reader {READER_VERSION} failed on this file")))
    })
}

fn read_unguarded(media_type: &str, file: impl Read + Seek + Send) -> Credentials {
    let supported = c2pa::Reader::supported_mime_types();
    if !supported.iter().any(|m| m == media_type) {
        return Credentials::empty(
            Outcome::Unsupported,
            Some(format!("the C2PA reader {READER_VERSION} does not handle {media_type}")),
        );
    }
    // Offline: no remote manifest, no OCSP fetch (the crate is built without an HTTP client
    // as well), and no trust anchors, so the chain is checked but cannot read "trusted".
    let settings = r#"{"verify": {"remote_manifest_fetch": false, "ocsp_fetch": false}}"#;
    let context = match c2pa::Context::new().with_settings(settings) {
        Ok(c) => c,
        Err(e) => return Credentials::empty(Outcome::Unreadable, Some(format!("reader settings refused: {e}"))),
    };
    let reader = match c2pa::Reader::from_context(context).with_stream(media_type, file) {
        Ok(r) => r,
        Err(c2pa::Error::JumbfNotFound) | Err(c2pa::Error::ProvenanceMissing) => {
            return Credentials::empty(Outcome::NoCredentials, None);
        }
        Err(c2pa::Error::UnsupportedType) => {
            return Credentials::empty(
                Outcome::Unsupported,
                Some(format!("the C2PA reader {READER_VERSION} does not handle {media_type}")),
            );
        }
        Err(e) => return Credentials::empty(Outcome::Unreadable, Some(e.to_string())),
    };
    let json: Value = serde_json::from_str(&reader.json()).unwrap_or(Value::Null);
    from_report(&json)
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn statuses(v: &Value) -> Vec<Status> {
    let mut out: Vec<Status> = v
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| Some(Status { code: text(s, "code")?, explanation: text(s, "explanation") }))
        .collect();
    out.sort_by(|a, b| (&a.code, &a.explanation).cmp(&(&b.code, &b.explanation)));
    out.dedup();
    out
}

/// Builds the reading from the reader's JSON report (its documented, serialised form).
fn from_report(report: &Value) -> Credentials {
    let label = text(report, "active_manifest");
    let manifest = label.as_ref().and_then(|l| report.get("manifests")?.get(l));
    let Some(manifest) = manifest else {
        return Credentials::empty(Outcome::Unreadable, Some("the manifest store names no active manifest".into()));
    };
    let results = report.get("validation_results").and_then(|r| r.get("activeManifest")).unwrap_or(&Value::Null);
    let failures = statuses(results.get("failure").unwrap_or(&Value::Null));
    let successes = statuses(results.get("success").unwrap_or(&Value::Null));
    let has = |list: &[Status], suffixes: &[&str]| list.iter().any(|s| suffixes.iter().any(|x| s.code.ends_with(x)));
    let hash_codes_fail = ["dataHash.mismatch", "bmffHash.mismatch", "boxesHash.mismatch", "collectionHash.mismatch"];
    let hash_codes_ok = ["dataHash.match", "bmffHash.match", "boxesHash.match", "collectionHash.match"];
    let binding = if has(&failures, &hash_codes_fail) {
        Binding::Fails
    } else if has(&successes, &hash_codes_ok) {
        Binding::Holds
    } else {
        Binding::NotChecked
    };
    let all: Vec<&Status> = failures.iter().chain(successes.iter()).collect();
    let code = |c: &str| all.iter().any(|s| s.code == c);
    let status = if code("signingCredential.revoked") {
        SignerStatus::Revoked
    } else if code("signingCredential.expired") {
        SignerStatus::Expired
    } else if code("signingCredential.invalid") || code("claimSignature.mismatch") {
        SignerStatus::Invalid
    } else if code("signingCredential.untrusted") {
        SignerStatus::NotOnTrustList
    } else if code("signingCredential.trusted") {
        SignerStatus::Trusted
    } else {
        SignerStatus::Unknown
    };
    let signer = manifest.get("signature_info").map(|s| Signer {
        issuer: text(s, "issuer"),
        common_name: text(s, "common_name"),
        algorithm: text(s, "alg"),
        serial: text(s, "cert_serial_number"),
        signed_at: text(s, "time"),
        status,
    });
    let claim_generator = manifest
        .get("claim_generator_info")
        .and_then(Value::as_array)
        .map(|infos| {
            infos
                .iter()
                .filter_map(|i| {
                    let name = text(i, "name")?;
                    Some(match text(i, "version") {
                        Some(v) => format!("{name} {v}"),
                        None => name,
                    })
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .filter(|s| !s.is_empty())
        .or_else(|| text(manifest, "claim_generator"));
    let mut actions = Vec::new();
    for assertion in manifest.get("assertions").and_then(Value::as_array).into_iter().flatten() {
        if !text(assertion, "label").is_some_and(|l| l.starts_with("c2pa.actions")) {
            continue;
        }
        for a in assertion.get("data").and_then(|d| d.get("actions")).and_then(Value::as_array).into_iter().flatten() {
            let agent = a.get("softwareAgent").and_then(|s| match s {
                Value::String(s) => Some(s.clone()),
                Value::Object(_) => match (text(s, "name"), text(s, "version")) {
                    (Some(n), Some(v)) => Some(format!("{n} {v}")),
                    (n, _) => n,
                },
                _ => None,
            });
            actions.push(Action {
                action: text(a, "action").unwrap_or_default(),
                digital_source_type: text(a, "digitalSourceType"),
                software_agent: agent,
                when: text(a, "when"),
            });
        }
    }
    let ai_declared =
        actions.iter().filter_map(|a| a.digital_source_type.clone()).find(|t| t == AI_GENERATED || t == AI_COMPOSITE);
    Credentials {
        outcome: Outcome::Read,
        problem: None,
        manifest: label,
        claim_generator,
        title: text(manifest, "title"),
        signer,
        actions,
        ai_declared,
        binding,
        state: text(report, "validation_state"),
        failures,
        successes,
        ingredients: manifest.get("ingredients").and_then(Value::as_array).map(Vec::len),
    }
}

/// Signs `media` with a manifest that declares it AI-generated, under a certificate chain
/// generated on the spot (the crate's ephemeral Ed25519 signer: a CA of its own and an
/// end-entity certificate under it, trusted by no one). For the demo and the tests: a file
/// with real, checkable credentials made without a network or a certificate authority.
pub fn sign_as_ai_generated(
    media_type: &str,
    media: &[u8],
    signer_name: &str,
    generator: &str,
) -> Result<Vec<u8>, String> {
    let signer = c2pa::EphemeralSigner::new(signer_name).map_err(|e| e.to_string())?;
    let definition = serde_json::json!({
        "claim_generator_info": [{ "name": generator }],
        "title": "AI-generated media",
        "assertions": [{
            "label": "c2pa.actions",
            "data": { "actions": [{
                "action": "c2pa.created",
                "digitalSourceType": AI_GENERATED,
                "softwareAgent": { "name": generator }
            }]}
        }]
    });
    let mut builder = c2pa::Builder::from_context(c2pa::Context::new())
        .with_definition(definition.to_string())
        .map_err(|e| e.to_string())?;
    let mut out = std::io::Cursor::new(Vec::new());
    builder.sign(&signer, media_type, &mut std::io::Cursor::new(media), &mut out).map_err(|e| e.to_string())?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// A 4x4 RGB PNG: signature, IHDR, IDAT, IEND.
    pub(crate) fn tiny_png() -> Vec<u8> {
        hex::decode(
            "89504e470d0a1a0a0000000d494844520000000400000004080200000026930929000000294944415478da0dc7310100\
             000cc23084551867452170cb9724121b1713048be353a9adeb67323b370fa7631341061a2b550000000049454e44ae426082",
        )
        .unwrap()
    }

    #[test]
    fn a_signed_file_declares_ai_generation_and_its_binding_holds_until_a_byte_changes() {
        let png = tiny_png();
        let plain = read("image/png", Cursor::new(png.clone()));
        assert_eq!(plain.outcome, Outcome::NoCredentials);
        assert!(plain.summary().contains("no content credentials"));

        let signed = sign_as_ai_generated("image/png", &png, "test signer", "FaceForge").unwrap();
        let reading = read("image/png", Cursor::new(signed.clone()));
        assert_eq!(reading.outcome, Outcome::Read, "{reading:?}");
        assert_eq!(reading.ai_declared.as_deref(), Some(AI_GENERATED));
        assert_eq!(reading.binding, Binding::Holds);
        assert_eq!(reading.signer.as_ref().map(|s| s.status), Some(SignerStatus::NotOnTrustList));
        assert_eq!(reading.signer.as_ref().and_then(|s| s.common_name.as_deref()), Some("test signer"));
        assert!(reading.actions.iter().any(|a| a.action == "c2pa.created"));
        assert_eq!(read("image/png", Cursor::new(signed.clone())), reading, "the same file reads the same");

        // A pixel changed after signing: the IDAT chunk's bytes no longer hash as signed.
        let mut changed = signed;
        let idat = changed.windows(4).position(|w| w == b"IDAT").unwrap();
        changed[idat + 6] ^= 0x01;
        let reading = read("image/png", Cursor::new(changed));
        assert_eq!(reading.outcome, Outcome::Read);
        assert_eq!(reading.binding, Binding::Fails, "{reading:?}");
        assert!(reading.summary().contains("FAILS"));
    }
}
