//! The tamper-evident ledger, as a leaf module (no HTTP, no database):
//!
//! 1. every custody event carries `prev_hash` and `event_hash = SHA-256(canonical bytes)`, a
//!    per-exhibit hash chain simple enough to explain from the witness stand;
//! 2. every custody event and audit record is also a leaf of one RFC 6962 Merkle log, whose
//!    head is signed as a C2SP checkpoint (signed-note format, Ed25519), so that any outside
//!    verifier (Go's `x/mod/sumdb/tlog` and `note`, for one) can check inclusion and
//!    append-only consistency with standard tools.
//!
//! Canonical bytes are RFC 8785 (JCS) JSON: see [`canonical`].

pub mod canonical;
pub mod note;
pub mod tiles;
pub mod tree;

use sha2::{Digest, Sha256};

/// The `prev_hash` of an exhibit's first custody event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// SHA-256 of the canonical bytes, as lowercase hex: the event's link in its chain.
pub fn event_hash(canonical: &str) -> String {
    hex::encode(Sha256::digest(canonical.as_bytes()))
}
