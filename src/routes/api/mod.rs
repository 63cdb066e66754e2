//! The JSON API under `/api/v1`, for scripts. Bearer tokens only; errors are problem+json.

pub mod analyses;
pub mod charges;
pub mod evidence;
pub mod incidents;
pub mod ledger;
pub mod memos;
pub mod people;
pub mod sessions;

use actix_web::web;
use serde::Serialize;
use time::PrimitiveDateTime;
use time::format_description::well_known::Rfc3339;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/openapi.json", web::get().to(openapi))
        .configure(incidents::configure)
        .configure(evidence::configure)
        .configure(analyses::configure)
        .configure(charges::configure)
        .configure(memos::configure)
        .configure(ledger::configure)
        .configure(sessions::configure)
        .configure(people::configure)
        .default_service(web::to(|| async {
            Err::<actix_web::HttpResponse, _>(crate::error::AppError::NotFound("route"))
        }));
}

/// The OpenAPI 3.1 document of this API, maintained beside the routes it describes;
/// `tests/openapi.rs` checks every documented operation against the running app.
pub const OPENAPI: &str = include_str!("openapi.json");

async fn openapi() -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().content_type("application/json").body(OPENAPI)
}

/// Timestamps leave the API as RFC 3339 UTC with microseconds.
pub fn rfc3339(at: PrimitiveDateTime) -> String {
    at.assume_utc().format(&Rfc3339).unwrap_or_else(|_| at.to_string())
}

/// `?page=&per_page=` of a paged list: page 1 and 100 a page unless asked otherwise.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    #[serde(default)]
    pub page: Option<i64>,
    #[serde(default)]
    pub per_page: Option<i64>,
}

impl PageQuery {
    /// The page and page size asked for, each within bounds (`per_page` at most `max`).
    pub fn parse(&self, max: i64) -> Result<(i64, i64), crate::error::AppError> {
        let page = self.page.unwrap_or(1);
        let per_page = self.per_page.unwrap_or(100.min(max));
        if page < 1 || !(1..=max).contains(&per_page) {
            return Err(crate::error::AppError::Validation(crate::domain::ValidationErrors::single(
                "per_page",
                format!("page must be 1 or more and per_page between 1 and {max}"),
            )));
        }
        Ok((page, per_page))
    }
}

/// `?after=&before=&per_page=` of a list read by key: its start and 100 a stretch unless asked
/// otherwise.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SliceQuery {
    #[serde(default)]
    pub after: String,
    #[serde(default)]
    pub before: String,
    #[serde(default)]
    pub per_page: Option<i64>,
}

impl SliceQuery {
    /// Where the stretch starts, and its size (at most `max`).
    pub fn parse<K: std::str::FromStr>(
        &self,
        max: i64,
    ) -> Result<(crate::domain::incident::Position<K>, i64), crate::error::AppError> {
        let mut errors = crate::domain::ValidationErrors::new();
        let position = crate::domain::incident::Position::parse(&self.after, &self.before, &mut errors);
        let per_page = self.per_page.unwrap_or(100.min(max));
        if !(1..=max).contains(&per_page) {
            errors.add("per_page", format!("must be between 1 and {max}"));
        }
        errors.into_result()?;
        Ok((position, per_page))
    }
}

/// One stretch of a list read by key, with the cursors to the stretches on either side.
#[derive(Debug, Serialize)]
pub struct SliceBody<T> {
    pub items: Vec<T>,
    pub per_page: i64,
    pub total: i64,
    /// Counting stopped at `total`: more match (counted up to 1,000).
    pub total_capped: bool,
    /// Pass as `after` to read the next stretch; null at the list's end.
    pub next_after: Option<String>,
    /// Pass as `before` to read the stretch before; null at the list's start.
    pub previous_before: Option<String>,
}

impl<T> SliceBody<T> {
    pub fn of<S>(slice: crate::domain::incident::Slice<S>, view: impl FnMut(S) -> T) -> SliceBody<T> {
        SliceBody {
            items: slice.items.into_iter().map(view).collect(),
            per_page: slice.per_page,
            total: slice.total,
            total_capped: slice.capped,
            next_after: slice.next,
            previous_before: slice.previous,
        }
    }
}

/// A page of results with its position in the whole list.
#[derive(Debug, Serialize)]
pub struct PageBody<T> {
    pub items: Vec<T>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
    pub pages: i64,
    /// Always false: the lists paged this way are bounded by one incident and counted in full
    /// (the lists counted up to 1,000 are read by key, `SliceBody`). Kept in the response so
    /// that its shape does not change for clients.
    pub total_capped: bool,
}
