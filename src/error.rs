//! One error type for the application, with a stable machine-readable `code` for each kind.
//!
//! Policy: API handlers return `AppError`, rendered as RFC 9457 `application/problem+json`;
//! page handlers return `PageError`, the same error rendered as a readable HTML page. Internal
//! details (database messages, paths) are logged, never sent to the client.

use actix_web::http::StatusCode;
use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;
use serde::Serialize;

use crate::domain::policy::Refusal;
use crate::domain::{FieldError, ValidationErrors};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request could not be read at all (malformed JSON, wrong types, unknown fields).
    #[error("{detail}")]
    BadRequest { code: &'static str, detail: String },
    /// The request was read, but its values break the rules.
    #[error("{0}")]
    Validation(ValidationErrors),
    #[error("authentication required")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    #[error("the form expired or did not come from Custos; reload the page and try again")]
    CsrfRejected,
    /// The resource does not exist, or the caller may not know that it does.
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    #[error("the request body is too large")]
    PayloadTooLarge,
    #[error("the database is unavailable")]
    Unavailable(String),
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    pub fn internal(error: impl std::fmt::Display) -> Self {
        AppError::Internal(error.to_string())
    }

    /// The error with its cause, for the command line and the log: an internal error or an
    /// unavailable database names what happened, never only "internal error".
    pub fn with_cause(&self) -> String {
        match self {
            AppError::Internal(cause) => format!("internal error: {cause}"),
            AppError::Unavailable(cause) => format!("the database is unavailable: {cause}"),
            other => other.to_string(),
        }
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        AppError::BadRequest { code, detail: detail.into() }
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        AppError::Conflict { code, detail: detail.into() }
    }

    /// The stable code clients can switch on.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest { code, .. } | AppError::Conflict { code, .. } => code,
            AppError::Validation(_) => "validation_failed",
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden(_) => "forbidden",
            AppError::CsrfRejected => "csrf_rejected",
            AppError::NotFound(_) => "not_found",
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }

    pub fn title(&self) -> &'static str {
        match self {
            AppError::BadRequest { .. } => "Malformed request",
            AppError::Validation(_) => "Invalid input",
            AppError::Unauthenticated => "Sign-in required",
            AppError::Forbidden(_) => "Not permitted",
            AppError::CsrfRejected => "Form expired",
            AppError::NotFound(_) => "Not found",
            AppError::Conflict { .. } => "Conflict",
            AppError::PayloadTooLarge => "Too large",
            AppError::Unavailable(_) => "Service unavailable",
            AppError::Internal(_) => "Something went wrong",
        }
    }

    /// What the client is told: never the internal cause.
    pub fn public_detail(&self) -> String {
        match self {
            AppError::Internal(_) => "An internal error occurred; it has been logged.".into(),
            AppError::Unavailable(_) => "The database is unavailable; try again shortly.".into(),
            other => other.to_string(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) | AppError::CsrfRejected => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn log(&self) {
        match self {
            AppError::Internal(cause) => tracing::error!(%cause, "internal error"),
            AppError::Unavailable(cause) => tracing::warn!(%cause, "database unavailable"),
            _ => {}
        }
    }
}

impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::NotPermitted(reason) => AppError::Forbidden(reason),
            Refusal::NotNow { code, reason } => AppError::Conflict { code, detail: reason },
        }
    }
}

impl From<ValidationErrors> for AppError {
    fn from(errors: ValidationErrors) -> Self {
        AppError::Validation(errors)
    }
}

impl From<diesel::result::Error> for AppError {
    /// A unique-constraint violation is two people saving the same thing at once (or twice):
    /// a conflict the client can resolve by reloading, never a server error.
    fn from(error: diesel::result::Error) -> Self {
        match error {
            diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, info) => {
                tracing::info!(cause = info.message(), "unique constraint refused a write");
                AppError::conflict(
                    "already_recorded",
                    "someone recorded the same thing at the same moment; reload the page to see it",
                )
            }
            // A stored value that no longer reads is damage to the record, not a fault of the
            // request: say so plainly, and point to the tool that names it.
            diesel::result::Error::DeserializationError(cause) => {
                tracing::warn!(%cause, "a stored record no longer reads");
                AppError::conflict(
                    "record_damaged",
                    format!("a stored record no longer reads ({cause}); run custos verify to see which"),
                )
            }
            other => AppError::Internal(format!("database: {other}")),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        AppError::Unavailable(error.to_string())
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        AppError::Internal(format!("blocking task: {error}"))
    }
}

/// RFC 9457 problem details, with Custos's stable `code` and per-field `errors`.
#[derive(Debug, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    pub code: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl Problem {
    pub fn of(error: &AppError) -> Self {
        Problem {
            kind: format!("urn:custos:problem:{}", error.code()),
            title: error.title(),
            status: error.status().as_u16(),
            detail: error.public_detail(),
            code: error.code(),
            errors: match error {
                AppError::Validation(errors) => errors.0.clone(),
                _ => Vec::new(),
            },
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        self.log();
        let mut response = HttpResponse::build(self.status());
        response.insert_header((actix_web::http::header::CONTENT_TYPE, "application/problem+json"));
        if matches!(self, AppError::Unauthenticated) {
            response.insert_header((actix_web::http::header::WWW_AUTHENTICATE, "Bearer realm=\"custos\""));
        }
        response.json(Problem::of(self))
    }
}

/// The same error, for a person in a browser: a readable page, or the login page when the
/// session is missing or expired.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct PageError(#[from] pub AppError);

impl From<Refusal> for PageError {
    fn from(refusal: Refusal) -> Self {
        PageError(refusal.into())
    }
}

impl From<diesel::result::Error> for PageError {
    fn from(error: diesel::result::Error) -> Self {
        PageError(error.into())
    }
}

impl From<actix_web::error::BlockingError> for PageError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        PageError(error.into())
    }
}

impl From<diesel::r2d2::PoolError> for PageError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        PageError(error.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    detail: String,
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.0.status()
    }

    fn error_response(&self) -> HttpResponse {
        self.0.log();
        if matches!(self.0, AppError::Unauthenticated) {
            return HttpResponse::SeeOther().insert_header((actix_web::http::header::LOCATION, "/login")).finish();
        }
        let page = ErrorPage {
            status: self.0.status().as_u16(),
            title: self.0.title(),
            detail: match &self.0 {
                AppError::NotFound(_) => {
                    "The page does not exist, or you are not on the team of the incident it belongs to.".into()
                }
                other => other.public_detail(),
            },
        };
        let body = page.render().unwrap_or_else(|_| format!("{} {}", page.status, page.title));
        HttpResponse::build(self.0.status()).content_type(ContentType::html()).body(body)
    }
}
