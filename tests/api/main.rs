//! The integration tests, as one test binary: every scenario starts the real application on
//! port 0 with a database of its own (see `common`). One binary links once, which keeps CI
//! fast; `cargo test --test api MODULE::` runs one module.
//!
//! Set `TEST_LOG=1` (or a filter such as `TEST_LOG=custos=debug`) to see the server's logs,
//! including the cause of any 500, beside the output of a failing test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

mod analyses;
mod attacks;
mod browser;
mod bundle;
mod charges;
mod charges_pages;
mod charging_structure;
mod cli;
mod custody_status;
mod dashboard;
mod defendants;
mod demo;
mod evidence;
mod evidence_pages;
mod incidents;
mod interop;
mod memo_pages;
mod memo_pdf;
mod memos;
mod object_store;
mod openapi;
mod pages;
mod pins;
mod properties;
mod scale;
mod schema;
mod sessions;
mod tiles;
mod victims;
