//! Use cases. Each takes a connection, guards with the rules of `domain::policy`, owns its transaction and
//! records an audit event for every change.

pub mod analyses;
pub mod audit;
pub mod bundle;
pub mod charges;
pub mod dashboard;
pub mod evidence;
pub mod health;
pub mod incidents;
pub mod ledger;
pub mod memo;
pub mod other_statutes;
pub mod people;
pub mod reopen;
pub mod sessions;
pub mod users;
pub mod verify;
