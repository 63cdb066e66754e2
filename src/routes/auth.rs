//! Who is asking: bearer tokens for the API, encrypted session cookies naming a session kept
//! on the server (plus a CSRF token on every form) for browsers.

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::pin::Pin;
use subtle::ConstantTimeEq;

use crate::domain::user::User;
use crate::error::{AppError, PageError};
use crate::services;
use crate::startup::AppState;

fn state(req: &HttpRequest) -> Result<web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>().cloned().ok_or_else(|| AppError::internal("application state missing"))
}

/// The user behind an API request's `Authorization: Bearer` token.
pub struct ApiUser(pub User);

impl FromRequest for ApiUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let token = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_owned());
        let state = state(req);
        Box::pin(async move {
            let token = token.ok_or(AppError::Unauthenticated)?;
            let user = state?.run(move |conn| services::users::user_for_token(conn, &token)).await?;
            user.map(ApiUser).ok_or(AppError::Unauthenticated)
        })
    }
}

/// The cookie's only claim: the id of a session row on the server.
const SESSION_ID: &str = "sid";
const SESSION_CSRF: &str = "csrf";
const SESSION_FLASH: &str = "flash";

/// A one-time message shown on the next page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flash {
    pub kind: FlashKind,
    pub text: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum FlashKind {
    Success,
    Error,
}

impl FlashKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            FlashKind::Success => "success",
            FlashKind::Error => "error",
        }
    }
}

pub fn flash(session: &Session, kind: FlashKind, text: impl Into<String>) {
    // A flash that cannot be stored is only a lost courtesy message.
    let _ = session.insert(SESSION_FLASH, Flash { kind, text: text.into() });
}

/// The session's CSRF token, created if the session has none.
pub fn csrf_token(session: &Session) -> Result<String, AppError> {
    if let Ok(Some(token)) = session.get::<String>(SESSION_CSRF) {
        return Ok(token);
    }
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    session.insert(SESSION_CSRF, &token).map_err(AppError::internal)?;
    Ok(token)
}

/// Starts a fresh cookie for the server session `id`: a new cookie, a new CSRF token.
pub fn sign_in(session: &Session, id: &str) -> Result<(), AppError> {
    session.renew();
    session.clear();
    session.insert(SESSION_ID, id).map_err(AppError::internal)?;
    csrf_token(session)?;
    Ok(())
}

/// Forgets the cookie's session (the server session is ended by the caller).
pub fn sign_out(session: &Session) {
    session.purge();
}

/// The server session this cookie names, if any.
pub fn session_id(session: &Session) -> Option<String> {
    session.get::<String>(SESSION_ID).ok().flatten()
}

/// The address a request came from, for throttling and the record (the peer's; a proxy in
/// front of Custos shows as itself).
pub fn client_address(req: &HttpRequest) -> String {
    req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_else(|| "unknown".into())
}

/// What every signed-in page needs: the user, the CSRF token for its forms, a pending flash.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub user: User,
    pub csrf: String,
    pub flash: Option<Flash>,
}

/// A signed-in browser user. Without a valid, unexpired session the page redirects to login.
pub struct SessionUser {
    pub chrome: Chrome,
    pub session: Session,
}

impl SessionUser {
    pub fn user(&self) -> &User {
        &self.chrome.user
    }
}

impl FromRequest for SessionUser {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let session = req.get_session();
        let state = state(req);
        Box::pin(async move {
            let state = state?;
            let Some(id) = session_id(&session) else {
                return Err(AppError::Unauthenticated.into());
            };
            // The server decides: a revoked, expired or disabled session ends here, whatever
            // copy of the cookie is presented.
            let user = state.run(move |conn| services::sessions::user_of(conn, &id)).await?;
            let Some(user) = user else {
                session.purge();
                return Err(AppError::Unauthenticated.into());
            };
            let csrf = csrf_token(&session)?;
            let flash = session.remove_as::<Flash>(SESSION_FLASH).and_then(Result::ok);
            Ok(SessionUser { chrome: Chrome { user, csrf, flash }, session })
        })
    }
}

/// Whether a submitted CSRF token is the session's, compared in constant time.
pub fn csrf_matches(expected: &str, sent: &str) -> bool {
    !expected.is_empty() && bool::from(sent.as_bytes().ct_eq(expected.as_bytes()))
}

#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf_token: String,
}

/// A form body whose `csrf_token` matches the session's; anything else is refused before the
/// handler runs. Repeated fields (checkboxes, table rows) parse into `Vec`s.
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = req.get_session();
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let body = body.await.map_err(|_| AppError::PayloadTooLarge)?;
            let sent: CsrfField =
                serde_html_form::from_bytes(&body).map_err(|e| AppError::bad_request("invalid_form", e.to_string()))?;
            let expected = session.get::<String>(SESSION_CSRF).ok().flatten().unwrap_or_default();
            if !csrf_matches(&expected, &sent.csrf_token) {
                return Err(AppError::CsrfRejected.into());
            }
            let form =
                serde_html_form::from_bytes(&body).map_err(|e| AppError::bad_request("invalid_form", e.to_string()))?;
            Ok(CsrfForm(form))
        })
    }
}
