//! The two migration sets must build the same tables with the same columns, since one
//! `schema.rs` serves both. Needs PostgreSQL (CUSTOS_TEST_PG_URL); skipped without it.

use diesel::prelude::*;
use diesel::sql_types::Text;
use std::collections::BTreeMap;

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
}

fn columns(rows: Vec<Column>) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in rows {
        if row.table_name.starts_with("__diesel") || row.table_name.starts_with("sqlite_") {
            continue;
        }
        map.entry(row.table_name).or_default().push(row.column_name);
    }
    map.values_mut().for_each(|c| c.sort());
    map
}

#[test]
fn both_backends_have_the_same_tables_and_columns() {
    let Some(pg) = crate::common::PgTestDatabase::create() else { return };
    let dir = tempfile::tempdir().unwrap();

    let sqlite_pool = custos::startup::open_database(&crate::common::test_settings(dir.path(), None)).unwrap();
    let sqlite: Vec<Column> = diesel::sql_query(
        "SELECT m.name AS table_name, p.name AS column_name FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table'",
    )
    .load(&mut sqlite_pool.get().unwrap())
    .unwrap();

    let pg_pool =
        custos::startup::open_database(&crate::common::test_settings(dir.path(), Some(pg.url.clone()))).unwrap();
    let postgres: Vec<Column> = diesel::sql_query(
        "SELECT table_name::text AS table_name, column_name::text AS column_name FROM information_schema.columns WHERE table_schema = 'public'",
    )
    .load(&mut pg_pool.get().unwrap())
    .unwrap();

    let (sqlite, postgres) = (columns(sqlite), columns(postgres));
    assert!(sqlite.contains_key("incidents") && sqlite.contains_key("audit_events"));
    assert_eq!(sqlite, postgres);
    drop(pg_pool);
}
