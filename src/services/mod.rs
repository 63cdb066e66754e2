//! Use cases. Each takes a connection, checks who may do what, owns its transaction and
//! records an audit event for every change.

pub mod audit;
pub mod bundle;
pub mod charges;
pub mod dashboard;
pub mod evidence;
pub mod health;
pub mod incidents;
pub mod ledger;
pub mod memo;
pub mod users;
pub mod verify;
