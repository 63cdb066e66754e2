//! HTML pages for people, rendered on the server with askama. Forms carry a CSRF token and
//! work without JavaScript.

pub mod analyses;
pub mod counts;
pub mod evidence;
pub mod incidents;
pub mod mappings;
pub mod memos;
pub mod reader;
pub mod reviews;
pub mod statutes;
pub mod victims;
pub mod views;

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::domain::policy;
use crate::error::{AppError, PageError};
use crate::routes::auth::{self, Chrome, CsrfForm, SessionUser};
use crate::services;
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home))
        .route("/login", web::get().to(login_form))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout))
        .configure(incidents::configure)
        .configure(victims::configure)
        .configure(evidence::configure)
        .configure(analyses::configure)
        .configure(reader::configure)
        .configure(statutes::configure)
        .configure(counts::configure)
        .configure(mappings::configure)
        .configure(reviews::configure)
        .configure(memos::configure)
        .default_service(web::to(not_found));
}

/// Renders a template as an HTML response.
pub fn render(template: &impl Template) -> Result<HttpResponse, PageError> {
    render_with(StatusCode::OK, template)
}

/// Renders a template with another status: 422 for a form shown again with its errors.
pub fn render_with(status: StatusCode, template: &impl Template) -> Result<HttpResponse, PageError> {
    let body = template.render().map_err(|e| AppError::internal(format!("template: {e}")))?;
    Ok(HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body))
}

pub fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header(("Location", to)).finish()
}

/// A page number from a query string: empty means the first page.
pub fn page_number(raw: &str) -> Result<i64, AppError> {
    match raw.trim() {
        "" => Ok(1),
        p => p
            .parse::<i64>()
            .ok()
            .filter(|p| (1..=1_000_000_000).contains(p))
            .ok_or_else(|| AppError::bad_request("invalid_page", format!("'{p}' is not a page number"))),
    }
}

/// `?page=N` of a paged page that takes nothing else.
#[derive(Debug, Default, serde::Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    page: String,
}

impl PageQuery {
    pub fn number(&self) -> Result<i64, AppError> {
        page_number(&self.page)
    }
}

/// `?after=K` or `?before=K` of a list read by key that takes nothing else.
#[derive(Debug, Default, serde::Deserialize)]
pub struct CursorQuery {
    #[serde(default)]
    after: String,
    #[serde(default)]
    before: String,
}

impl CursorQuery {
    pub fn position<K: std::str::FromStr>(&self) -> Result<crate::domain::incident::Position<K>, AppError> {
        let mut errors = crate::domain::ValidationErrors::new();
        let position = crate::domain::incident::Position::parse(&self.after, &self.before, &mut errors);
        errors.into_result()?;
        Ok(position)
    }
}

pub use crate::domain::format_time;

pub async fn not_found(_req: HttpRequest) -> HttpResponse {
    actix_web::ResponseError::error_response(&PageError(AppError::NotFound("page")))
}

struct DashIncident {
    number: String,
    title: String,
    status_code: &'static str,
    status_label: &'static str,
    updated: String,
}

struct DashImpaired {
    exhibit: String,
    incident: String,
    reasons: String,
}

struct DashActivity {
    incident: String,
    at: String,
    actor: String,
    action: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    incidents: Vec<DashIncident>,
    incident_total: String,
    reviews: Vec<views::MappingView>,
    reviews_beyond: bool,
    review_total: String,
    reviewer: bool,
    deadlines: Vec<views::DeadlineRow>,
    impaired: Vec<DashImpaired>,
    /// Other exhibits have a failed verification or an unresolved custody problem too.
    impaired_beyond: bool,
    activity: Vec<DashActivity>,
    can_create: bool,
}

/// The dashboard: my incidents, reviews waiting for me, the nearest limitation deadlines,
/// exhibits whose custody is impaired, and recent activity on my cases.
async fn home(state: web::Data<AppState>, user: SessionUser) -> Result<HttpResponse, PageError> {
    let viewer = user.user().clone();
    let d = state.run(move |conn| services::dashboard::load(conn, &viewer)).await?;
    let catalog = crate::statutes::Law::catalog_only(services::charges::catalog()?);
    render(&DashboardPage {
        incidents: d
            .incidents
            .iter()
            .map(|i| DashIncident {
                number: i.number.to_string(),
                title: i.title.clone(),
                status_code: i.status.as_str(),
                status_label: i.status.label(),
                updated: format_time(i.updated_at),
            })
            .collect(),
        incident_total: d.incident_total,
        reviews: d.reviews.iter().map(|(incident, m)| views::mapping_view(incident, m, &catalog)).collect(),
        reviews_beyond: d.reviews_beyond,
        review_total: d.review_total,
        reviewer: policy::reviews(user.user()),
        deadlines: views::deadline_rows(&d.deadlines),
        impaired_beyond: d.impaired.beyond,
        impaired: d
            .impaired
            .listed
            .iter()
            .map(|f| DashImpaired {
                exhibit: f.exhibit.to_string(),
                incident: f.exhibit.incident.to_string(),
                reasons: f.reasons.clone(),
            })
            .collect(),
        activity: d
            .activity
            .iter()
            .map(|(incident, e)| DashActivity {
                incident: incident.clone(),
                at: format_time(e.at),
                actor: e.actor.clone().unwrap_or_else(|| "Custos".into()),
                action: crate::domain::audit::describe(&e.action, &e.detail),
            })
            .collect(),
        can_create: policy::open_incident(user.user()).is_ok(),
        chrome: user.chrome,
    })
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    username: String,
    error: Option<String>,
}

async fn login_form(session: Session) -> Result<HttpResponse, PageError> {
    let csrf = auth::csrf_token(&session)?;
    render(&LoginPage { csrf, username: String::new(), error: None })
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// What a sign-in attempt came to.
enum SignIn {
    Started(String, String),
    Refused,
    Wait(i64),
}

async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<HttpResponse, PageError> {
    let username = form.username.trim().to_lowercase();
    let attempt = username.clone();
    let address = auth::client_address(&req);
    let ttl = state.settings.session_ttl;
    let outcome = state
        .run(move |conn| {
            // Too many failures from this address, or for this account: wait, before any
            // password is checked.
            let wait = services::sessions::sign_in_wait(conn, &attempt, &address)?;
            if wait > 0 {
                return Ok(SignIn::Wait(wait));
            }
            Ok(match services::sessions::sign_in(conn, &attempt, &form.password, &address, ttl)? {
                Some((user, id)) => SignIn::Started(user.username, id),
                None => SignIn::Refused,
            })
        })
        .await?;
    let csrf = auth::csrf_token(&session)?;
    match outcome {
        SignIn::Started(name, id) => {
            auth::sign_in(&session, &id)?;
            tracing::info!(username = %name, "signed in");
            Ok(redirect("/"))
        }
        SignIn::Refused => {
            tracing::warn!(username = %username, "failed sign-in");
            let page = LoginPage { csrf, username, error: Some("Unknown username or wrong password.".into()) };
            render_with(StatusCode::UNAUTHORIZED, &page)
        }
        SignIn::Wait(seconds) => {
            let error = format!("Too many failed sign-ins. Try again in {seconds} seconds.");
            let page = LoginPage { csrf, username, error: Some(error) };
            let mut response = render_with(StatusCode::TOO_MANY_REQUESTS, &page)?;
            if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(actix_web::http::header::RETRY_AFTER, value);
            }
            Ok(response)
        }
    }
}

#[derive(Deserialize)]
struct EmptyForm {}

async fn logout(
    state: web::Data<AppState>,
    user: SessionUser,
    CsrfForm(_form): CsrfForm<EmptyForm>,
) -> Result<HttpResponse, PageError> {
    // The session ends on the server first: a copied cookie no longer works either.
    if let Some(id) = auth::session_id(&user.session) {
        state.run(move |conn| services::sessions::sign_out(conn, &id)).await?;
    }
    auth::sign_out(&user.session);
    Ok(redirect("/login"))
}
