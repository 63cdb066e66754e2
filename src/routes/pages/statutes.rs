//! Pages for the statute catalog: the offenses, their elements, penalties and sources.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::render;
use crate::error::{AppError, PageError};
use crate::routes::auth::{Chrome, SessionUser};
use crate::services::charges::{self as service};
use crate::statutes::{Catalog, Offense};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/statutes", web::get().to(catalog_page)).route("/statutes/{offense}", web::get().to(offense_page));
}

/// One statute's offenses, for the catalog page.
struct StatuteGroup {
    statute: String,
    offenses: Vec<&'static Offense>,
}

#[derive(Template)]
#[template(path = "statutes/list.html")]
struct CatalogPage {
    chrome: Chrome,
    catalog: &'static Catalog,
    groups: Vec<StatuteGroup>,
}

async fn catalog_page(user: SessionUser) -> Result<HttpResponse, PageError> {
    let catalog = service::catalog()?;
    let mut groups: Vec<StatuteGroup> = Vec::new();
    for offense in &catalog.offenses {
        match groups.last_mut() {
            Some(g) if g.statute == offense.statute => g.offenses.push(offense),
            _ => groups.push(StatuteGroup { statute: offense.statute.clone(), offenses: vec![offense] }),
        }
    }
    render(&CatalogPage { chrome: user.chrome, catalog, groups })
}

#[derive(Template)]
#[template(path = "statutes/show.html")]
struct OffensePage {
    chrome: Chrome,
    catalog: &'static Catalog,
    offense: &'static Offense,
    objects: Vec<&'static Offense>,
}

async fn offense_page(user: SessionUser, path: web::Path<String>) -> Result<HttpResponse, PageError> {
    let catalog = service::catalog()?;
    let offense = catalog.offense(&path).ok_or(AppError::NotFound("offense"))?;
    let objects = offense.objects.iter().filter_map(|id| catalog.offense(id)).collect();
    render(&OffensePage { chrome: user.chrome, catalog, offense, objects })
}
