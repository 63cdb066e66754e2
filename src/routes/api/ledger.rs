use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::error::AppError;
use crate::routes::auth::ApiUser;
use crate::services::ledger as service;
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/ledger", web::get().to(head)).route("/ledger/consistency", web::get().to(consistency));
}

/// The ledger's latest signed checkpoint and verifier key. It reveals no case content.
async fn head(state: web::Data<AppState>, _user: ApiUser) -> Result<HttpResponse, AppError> {
    let ledger = state.ledger.clone();
    let checkpoint = state.run(move |conn| ledger.checkpoint(conn)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "origin": state.ledger.origin(),
        "verifier_key": state.ledger.verifier_key(),
        "tree_size": checkpoint.as_ref().map(|c| c.tree_size),
        "root_hash": checkpoint.as_ref().map(|c| c.root_hash.clone()),
        "checkpoint": checkpoint.map(|c| c.signed_note),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsistencyQuery {
    from: i64,
    to: i64,
}

/// Proof that the log at checkpoint `from` is a prefix of the log at checkpoint `to`.
async fn consistency(
    state: web::Data<AppState>,
    _user: ApiUser,
    query: web::Query<ConsistencyQuery>,
) -> Result<HttpResponse, AppError> {
    let ledger = state.ledger.clone();
    let (from, to) = (query.from, query.to);
    let proof = state.run(move |conn| service::consistency_proof(conn, ledger.as_ref(), from, to)).await?;
    Ok(HttpResponse::Ok().json(proof))
}
