use actix_web::http::header::{CacheControl, CacheDirective};
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::error::AppError;
use crate::ledger::tiles::{TILE_WIDTH, TilePath};
use crate::routes::auth::ApiUser;
use crate::services::ledger as service;
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/ledger", web::get().to(head))
        .route("/ledger/consistency", web::get().to(consistency))
        .route("/ledger/checkpoint", web::get().to(checkpoint))
        .route("/ledger/tile/{path:.*}", web::get().to(tile));
}

/// The latest signed checkpoint alone, as a C2SP `tlog-checkpoint` note: with `tile/` below
/// it, `/api/v1/ledger` is a `tlog-tiles` log that standard clients read (with the token).
async fn checkpoint(state: web::Data<AppState>, _user: ApiUser) -> Result<HttpResponse, AppError> {
    let ledger = state.ledger.clone();
    let checkpoint = state.run(move |conn| ledger.checkpoint(conn)).await?.ok_or(AppError::NotFound("checkpoint"))?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header(CacheControl(vec![CacheDirective::NoCache, CacheDirective::Private]))
        .body(checkpoint.signed_note))
}

/// One tile of the Merkle tree (`tile/<L>/<N>[.p/<W>]`): hashes only, never entries, since
/// leaves carry case content. A full tile never changes, so it may be cached for good.
async fn tile(state: web::Data<AppState>, _user: ApiUser, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let path = TilePath::parse(&path).ok_or(AppError::NotFound("ledger tile"))?;
    let ledger = state.ledger.clone();
    let bytes = state.run(move |conn| ledger.tile(conn, path)).await?;
    let cache = if path.width == TILE_WIDTH {
        vec![
            CacheDirective::Private,
            CacheDirective::MaxAge(31_536_000),
            CacheDirective::Extension("immutable".into(), None),
        ]
    } else {
        vec![CacheDirective::NoCache, CacheDirective::Private]
    };
    Ok(HttpResponse::Ok().content_type("application/octet-stream").insert_header(CacheControl(cache)).body(bytes))
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
