//! Settings, layered: built-in defaults < `custos.toml` < `CUSTOS_*` environment < flags.
//! The environment and flag layers are read by clap (each flag names its variable); this
//! module adds the file layer beneath them. Secrets (database passwords) are never logged.

use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::db::DatabaseTarget;

pub const DEFAULT_DATA_DIR: &str = "./custos-data";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_CONFIG_FILE: &str = "custos.toml";
/// 64 GiB: disk images must fit.
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 64 << 30;

/// One layer of settings: the optional `custos.toml`, or what flags and the environment give.
/// Every key may be left out; a missing one falls through to the layer below.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub bind: Option<String>,
    pub workers: Option<usize>,
    pub pool_size: Option<u32>,
    pub session_ttl_minutes: Option<u64>,
    pub secure_cookies: Option<bool>,
    pub log: Option<String>,
    pub max_upload_bytes: Option<u64>,
    /// `s3://bucket/prefix` for evidence in object storage; unset, the data directory.
    pub blob_store: Option<String>,
    pub ledger_key_file: Option<PathBuf>,
    pub session_key_file: Option<PathBuf>,
}

impl FileSettings {
    /// Reads `path`; a missing default file is no error, a missing named file is.
    pub fn read(path: Option<&Path>) -> Result<FileSettings, String> {
        let (path, required) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => (PathBuf::from(DEFAULT_CONFIG_FILE), false),
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => Ok(FileSettings::default()),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }
}

/// Values given by flag or environment: the same keys as the file, one layer above it.
pub type Overrides = FileSettings;

/// The settings in force.
#[derive(Debug, Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub database: DatabaseTarget,
    pub bind: String,
    pub workers: usize,
    pub pool_size: u32,
    pub session_ttl: Duration,
    pub secure_cookies: bool,
    pub log: String,
    pub max_upload_bytes: u64,
    pub blob_store: Option<String>,
    /// The ledger's signing key and the session key, when not in the data directory (every
    /// instance of one deployment must have the same). `CUSTOS_LEDGER_KEY` and
    /// `CUSTOS_SESSION_KEY` may hold the keys themselves instead.
    pub ledger_key_file: Option<PathBuf>,
    pub session_key_file: Option<PathBuf>,
}

impl Settings {
    pub fn resolve(file: FileSettings, overrides: Overrides) -> Result<Settings, String> {
        let data_dir = overrides.data_dir.or(file.data_dir).unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let database = match overrides.database_url.or(file.database_url).filter(|u| !u.trim().is_empty()) {
            Some(url) => DatabaseTarget::from_url(url.trim()),
            None => DatabaseTarget::Sqlite(data_dir.join("custos.db")),
        };
        let session_ttl_minutes = overrides.session_ttl_minutes.or(file.session_ttl_minutes).unwrap_or(8 * 60);
        if !(5..=7 * 24 * 60).contains(&session_ttl_minutes) {
            return Err("session_ttl_minutes must be between 5 and 10080 (one week)".into());
        }
        let workers = overrides.workers.or(file.workers).unwrap_or(2);
        if !(1..=256).contains(&workers) {
            return Err("workers must be between 1 and 256".into());
        }
        Ok(Settings {
            data_dir,
            database,
            bind: overrides.bind.or(file.bind).unwrap_or_else(|| DEFAULT_BIND.to_owned()),
            workers,
            pool_size: overrides.pool_size.or(file.pool_size).unwrap_or(8).clamp(1, 256),
            session_ttl: Duration::from_secs(session_ttl_minutes * 60),
            secure_cookies: overrides.secure_cookies.or(file.secure_cookies).unwrap_or(false),
            log: overrides.log.or(file.log).unwrap_or_else(|| "info".to_owned()),
            max_upload_bytes: overrides.max_upload_bytes.or(file.max_upload_bytes).unwrap_or(DEFAULT_MAX_UPLOAD_BYTES),
            blob_store: overrides.blob_store.or(file.blob_store).filter(|s| !s.trim().is_empty()),
            ledger_key_file: overrides.ledger_key_file.or(file.ledger_key_file),
            session_key_file: overrides.session_key_file.or(file.session_key_file),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_apply_in_order() {
        let file: FileSettings = toml::from_str("bind = \"0.0.0.0:9000\"\nworkers = 4\nlog = \"debug\"").unwrap();
        let overrides = Overrides { workers: Some(3), ..Default::default() };
        let s = Settings::resolve(file, overrides).unwrap();
        assert_eq!(s.bind, "0.0.0.0:9000");
        assert_eq!(s.workers, 3);
        assert_eq!(s.log, "debug");
        assert_eq!(s.database, DatabaseTarget::Sqlite(PathBuf::from(DEFAULT_DATA_DIR).join("custos.db")));
    }

    #[test]
    fn unknown_file_keys_are_refused() {
        assert!(toml::from_str::<FileSettings>("bnid = \"x\"").is_err());
    }

    #[test]
    fn database_url_selects_postgres() {
        let overrides = Overrides { database_url: Some("postgres://localhost/custos".into()), ..Default::default() };
        let s = Settings::resolve(FileSettings::default(), overrides).unwrap();
        assert_eq!(s.database.backend_name(), "postgresql");
    }
}
