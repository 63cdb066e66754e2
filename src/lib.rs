//! Custos: case management for prosecuting AI-enabled cybercrime.
//!
//! Investigators catalog incidents and log evidence; prosecutors map evidence to the elements
//! of 18 U.S.C. 1028, 1028A, 1030, 1343 and 1349 and export charging-memo drafts.
//!
//! Data flows one way: `routes` (HTTP) -> `services` (use cases, transactions) -> `db::repo`
//! (queries) -> the database. `domain` holds the pure types and rules, every permission rule
//! among them (`domain::policy`). `documents` composes what the memo and the certification
//! draft say, in the document model that `pdf` renders and the pages show. The leaves,
//! `analysis`, `ledger`, `storage`, `statutes`, `pdf` and `documents::model`, know nothing of HTTP, the
//! database or the case; no service, repository or document reaches into `routes` or `startup`.
#![forbid(unsafe_code)]

pub mod analysis;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod documents;
pub mod domain;
pub mod error;
pub mod ledger;
pub mod pdf;
pub mod routes;
pub mod services;
pub mod startup;
pub mod statutes;
pub mod storage;
pub mod telemetry;
