//! Server configuration: a TOML file (from `--config` or `VITRINE_CONFIG`), overlaid by
//! `VITRINE_*` environment variables (the environment wins, as container platforms expect).
//!
//! Two types, after ripgrep's lowargs/hiargs: [`RawConfig`] holds what was written, every field
//! optional and unchecked; [`Config`] is what the server runs on, every value parsed, defaulted and
//! range-checked. All validation happens once, at start, so a typo fails the deploy with a message
//! naming the setting and the bad value instead of surfacing as a strange runtime error — and an
//! unknown key in the file is refused, because a misspelt security setting silently falling back to
//! its default (say, `trusted_proxy` for `trusted_proxies`) is worse than not starting.
//!
//! Secrets (the address-hash secret, a database password) are never echoed in errors or `Debug`.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::address_hash::{AddressHashError, AddressHashKey};
use crate::client_address::TrustedProxies;
use crate::render::hosted::HostedSettings;

/// The environment variable naming the config file (when `--config` is not given).
pub const CONFIG_ENV: &str = "VITRINE_CONFIG";

/// Default listen address: loopback, so a forgotten setting never exposes the server.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8787";
/// Default data directory.
pub const DEFAULT_DATA_DIR: &str = "./data";
/// Default request body limit: 20 MiB, room for a full-resolution phone photo.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 20 * 1024 * 1024;
/// Default request timeout.
pub const DEFAULT_REQUEST_TIMEOUT_SECS: u64 = 30;
/// Default seconds a resolved publishable key is cached (revocations take effect within this).
pub const DEFAULT_KEY_CACHE_SECS: u64 = 5;
/// Default models directory: where `cargo xtask setup` installs the person check's models.
pub const DEFAULT_MODELS_DIR: &str = "target/models";
/// Default time for one attempt at a hosted render backend.
pub const DEFAULT_BACKEND_TIMEOUT_SECS: u64 = 60;
/// Default retries at a hosted render backend.
pub const DEFAULT_BACKEND_RETRIES: u32 = 2;
/// Default renders per (address, retailer) per hour.
pub const DEFAULT_RATE_LIMIT_PER_HOUR: u32 = 10;
/// Default renders per (address, retailer) per day.
pub const DEFAULT_RATE_LIMIT_PER_DAY: u32 = 20;

/// Each setting: its key in the file and its environment variable.
const KEYS: &[(&str, &str)] = &[
    ("listen", "VITRINE_LISTEN"),
    ("database_url", "VITRINE_DATABASE_URL"),
    ("data_dir", "VITRINE_DATA_DIR"),
    ("address_hash_secret", "VITRINE_ADDRESS_HASH_SECRET"),
    ("trusted_proxies", "VITRINE_TRUSTED_PROXIES"),
    ("max_body_bytes", "VITRINE_MAX_BODY_BYTES"),
    ("request_timeout_secs", "VITRINE_REQUEST_TIMEOUT_SECS"),
    ("rate_limit_per_hour", "VITRINE_RATE_LIMIT_PER_HOUR"),
    ("rate_limit_per_day", "VITRINE_RATE_LIMIT_PER_DAY"),
    ("log_format", "VITRINE_LOG_FORMAT"),
    ("key_cache_secs", "VITRINE_KEY_CACHE_SECS"),
    ("models_dir", "VITRINE_MODELS_DIR"),
    ("render_concurrency", "VITRINE_RENDER_CONCURRENCY"),
    ("openai_api_key", "VITRINE_OPENAI_API_KEY"),
    ("openai_base_url", "VITRINE_OPENAI_BASE_URL"),
    ("openai_model", "VITRINE_OPENAI_MODEL"),
    ("gemini_api_key", "VITRINE_GEMINI_API_KEY"),
    ("gemini_base_url", "VITRINE_GEMINI_BASE_URL"),
    ("gemini_model", "VITRINE_GEMINI_MODEL"),
    ("backend_timeout_secs", "VITRINE_BACKEND_TIMEOUT_SECS"),
    ("backend_retries", "VITRINE_BACKEND_RETRIES"),
];

/// Why the configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read the config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The config file is not valid TOML for this schema (unknown keys included).
    #[error("the config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The TOML parser's message (it names the key and line).
        message: String,
    },
    /// A value is invalid. `key` names where it came from (an environment variable, or a key in
    /// the file); `value` is the offending text (redacted for secrets).
    #[error("{key}: `{value}` {problem}")]
    Invalid {
        /// `VITRINE_LISTEN`, or `listen (in vitrine.toml)`.
        key: String,
        /// The bad value.
        value: String,
        /// What is wrong with it.
        problem: String,
    },
}

/// Configuration as written: every field optional, nothing checked but the TOML types.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// `listen = "127.0.0.1:8787"`.
    pub listen: Option<String>,
    /// `database_url = "sqlite://…"` or `"postgres://…"`.
    pub database_url: Option<String>,
    /// `data_dir = "./data"`.
    pub data_dir: Option<String>,
    /// `address_hash_secret = "<hex, ≥ 32 bytes>"`.
    pub address_hash_secret: Option<String>,
    /// `trusted_proxies = ["10.0.0.0/8", "::1"]` (the environment form is comma-separated).
    pub trusted_proxies: Option<Vec<String>>,
    /// `max_body_bytes = 20971520`.
    pub max_body_bytes: Option<u64>,
    /// `request_timeout_secs = 30`.
    pub request_timeout_secs: Option<u64>,
    /// `rate_limit_per_hour = 10`.
    pub rate_limit_per_hour: Option<u32>,
    /// `rate_limit_per_day = 20`.
    pub rate_limit_per_day: Option<u32>,
    /// `log_format = "json"` or `"text"`.
    pub log_format: Option<String>,
    /// `key_cache_secs = 5`.
    pub key_cache_secs: Option<u64>,
    /// `models_dir = "target/models"`.
    pub models_dir: Option<String>,
    /// `render_concurrency = 2` (default: the number of CPU cores).
    pub render_concurrency: Option<u32>,
    /// `openai_api_key = "sk-…"`: enables the OpenAI backend for retailers that choose it.
    pub openai_api_key: Option<String>,
    /// `openai_base_url = "https://api.openai.com"`.
    pub openai_base_url: Option<String>,
    /// `openai_model = "gpt-image-1"`.
    pub openai_model: Option<String>,
    /// `gemini_api_key = "…"`: enables the Gemini backend for retailers that choose it.
    pub gemini_api_key: Option<String>,
    /// `gemini_base_url = "https://generativelanguage.googleapis.com"`.
    pub gemini_base_url: Option<String>,
    /// `gemini_model = "gemini-2.5-flash-image"`.
    pub gemini_model: Option<String>,
    /// `backend_timeout_secs = 60`: one attempt at a hosted backend.
    pub backend_timeout_secs: Option<u64>,
    /// `backend_retries = 2`: attempts after the first, on timeouts, 429 and 5xx.
    pub backend_retries: Option<u32>,
    /// Where each set field came from, for error messages.
    #[serde(skip)]
    sources: BTreeMap<&'static str, String>,
}

impl fmt::Debug for RawConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawConfig")
            .field("listen", &self.listen)
            .field("database_url", &self.database_url.as_ref().map(|_| "<set>"))
            .field("data_dir", &self.data_dir)
            .field(
                "address_hash_secret",
                &self.address_hash_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("trusted_proxies", &self.trusted_proxies)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("request_timeout_secs", &self.request_timeout_secs)
            .field("rate_limit_per_hour", &self.rate_limit_per_hour)
            .field("rate_limit_per_day", &self.rate_limit_per_day)
            .field("log_format", &self.log_format)
            .field("key_cache_secs", &self.key_cache_secs)
            .field("models_dir", &self.models_dir)
            .field("render_concurrency", &self.render_concurrency)
            .field(
                "openai_api_key",
                &self.openai_api_key.as_ref().map(|_| "<set>"),
            )
            .field("openai_base_url", &self.openai_base_url)
            .field("openai_model", &self.openai_model)
            .field(
                "gemini_api_key",
                &self.gemini_api_key.as_ref().map(|_| "<set>"),
            )
            .field("gemini_base_url", &self.gemini_base_url)
            .field("gemini_model", &self.gemini_model)
            .field("backend_timeout_secs", &self.backend_timeout_secs)
            .field("backend_retries", &self.backend_retries)
            .finish()
    }
}

fn env_name(key: &'static str) -> &'static str {
    KEYS.iter()
        .find(|(k, _)| *k == key)
        .map(|(_, e)| *e)
        .expect("every key is listed in KEYS")
}

impl RawConfig {
    /// Parses a config file's text; `path` is only used in messages.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let mut raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        let label = |key: &str| format!("{key} (in {})", path.display());
        let set: Vec<&'static str> = KEYS
            .iter()
            .map(|(k, _)| *k)
            .filter(|k| raw.is_set(k))
            .collect();
        for key in set {
            raw.sources.insert(key, label(key));
        }
        Ok(raw)
    }

    /// Reads and parses a config file.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml(&text, path)
    }

    fn is_set(&self, key: &str) -> bool {
        match key {
            "listen" => self.listen.is_some(),
            "database_url" => self.database_url.is_some(),
            "data_dir" => self.data_dir.is_some(),
            "address_hash_secret" => self.address_hash_secret.is_some(),
            "trusted_proxies" => self.trusted_proxies.is_some(),
            "max_body_bytes" => self.max_body_bytes.is_some(),
            "request_timeout_secs" => self.request_timeout_secs.is_some(),
            "rate_limit_per_hour" => self.rate_limit_per_hour.is_some(),
            "rate_limit_per_day" => self.rate_limit_per_day.is_some(),
            "log_format" => self.log_format.is_some(),
            "key_cache_secs" => self.key_cache_secs.is_some(),
            "models_dir" => self.models_dir.is_some(),
            "render_concurrency" => self.render_concurrency.is_some(),
            "openai_api_key" => self.openai_api_key.is_some(),
            "openai_base_url" => self.openai_base_url.is_some(),
            "openai_model" => self.openai_model.is_some(),
            "gemini_api_key" => self.gemini_api_key.is_some(),
            "gemini_base_url" => self.gemini_base_url.is_some(),
            "gemini_model" => self.gemini_model.is_some(),
            "backend_timeout_secs" => self.backend_timeout_secs.is_some(),
            "backend_retries" => self.backend_retries.is_some(),
            _ => false,
        }
    }

    /// Overlays `VITRINE_*` variables from `env` (the process environment in production, a map in
    /// tests). Set variables win over the file; numbers are parsed here, naming the variable.
    pub fn overlay_env(mut self, env: &BTreeMap<String, String>) -> Result<Self, ConfigError> {
        for &(key, var) in KEYS {
            let Some(value) = env.get(var) else { continue };
            let value = value.clone();
            match key {
                "listen" => self.listen = Some(value),
                "database_url" => self.database_url = Some(value),
                "data_dir" => self.data_dir = Some(value),
                "address_hash_secret" => self.address_hash_secret = Some(value),
                "trusted_proxies" => {
                    self.trusted_proxies =
                        Some(value.split(',').map(|s| s.trim().to_owned()).collect());
                }
                "max_body_bytes" => self.max_body_bytes = Some(parse_number(var, &value)?),
                "request_timeout_secs" => {
                    self.request_timeout_secs = Some(parse_number(var, &value)?);
                }
                "rate_limit_per_hour" => {
                    self.rate_limit_per_hour = Some(parse_number(var, &value)?);
                }
                "rate_limit_per_day" => self.rate_limit_per_day = Some(parse_number(var, &value)?),
                "log_format" => self.log_format = Some(value),
                "key_cache_secs" => self.key_cache_secs = Some(parse_number(var, &value)?),
                "models_dir" => self.models_dir = Some(value),
                "render_concurrency" => {
                    self.render_concurrency = Some(parse_number(var, &value)?);
                }
                "openai_api_key" => self.openai_api_key = Some(value),
                "openai_base_url" => self.openai_base_url = Some(value),
                "openai_model" => self.openai_model = Some(value),
                "gemini_api_key" => self.gemini_api_key = Some(value),
                "gemini_base_url" => self.gemini_base_url = Some(value),
                "gemini_model" => self.gemini_model = Some(value),
                "backend_timeout_secs" => {
                    self.backend_timeout_secs = Some(parse_number(var, &value)?);
                }
                "backend_retries" => self.backend_retries = Some(parse_number(var, &value)?),
                _ => unreachable!("KEYS and this match list the same settings"),
            }
            self.sources.insert(key, var.to_owned());
        }
        Ok(self)
    }

    /// Where a setting came from, for messages: the env var, or the key in the file.
    fn source(&self, key: &'static str) -> String {
        self.sources
            .get(key)
            .cloned()
            .unwrap_or_else(|| env_name(key).to_owned())
    }

    fn invalid(
        &self,
        key: &'static str,
        value: impl Into<String>,
        problem: impl Into<String>,
    ) -> ConfigError {
        ConfigError::Invalid {
            key: self.source(key),
            value: value.into(),
            problem: problem.into(),
        }
    }

    /// Validates and fills in defaults.
    pub fn validate(self) -> Result<Config, ConfigError> {
        let listen_text = self
            .listen
            .clone()
            .unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        let listen: SocketAddr = listen_text.parse().map_err(|_| {
            self.invalid(
                "listen",
                listen_text.as_str(),
                "is not a socket address (e.g. `127.0.0.1:8787` or `[::1]:8787`)",
            )
        })?;

        let data_dir_text = self
            .data_dir
            .clone()
            .unwrap_or_else(|| DEFAULT_DATA_DIR.to_owned());
        if data_dir_text.trim().is_empty() {
            return Err(self.invalid("data_dir", data_dir_text, "is empty"));
        }
        let data_dir = PathBuf::from(&data_dir_text);

        let database_url = match &self.database_url {
            None => DatabaseUrl::Sqlite(format!("sqlite://{}/vitrine.db", data_dir_text.trim_end_matches('/'))),
            Some(url) => DatabaseUrl::parse(url).ok_or_else(|| {
                self.invalid(
                    "database_url",
                    redact_url(url),
                    "is not a database URL: it starts with `sqlite://`, `postgres://` or `postgresql://`",
                )
            })?,
        };

        let address_hash_secret = match &self.address_hash_secret {
            None => None,
            Some(hex) => Some(AddressHashKey::from_hex(hex).map_err(|e| {
                self.invalid(
                    "address_hash_secret",
                    format!("<redacted, {} characters>", hex.trim().len()),
                    format!("is refused: {e}"),
                )
            })?),
        };

        let trusted_proxies = match &self.trusted_proxies {
            None => TrustedProxies::none(),
            Some(list) => TrustedProxies::parse(list.iter().map(String::as_str)).map_err(|e| {
                self.invalid(
                    "trusted_proxies",
                    e.0.clone(),
                    "is not an IP address or CIDR block (e.g. `10.0.0.1` or `10.0.0.0/8`)",
                )
            })?,
        };

        let max_body = self.max_body_bytes.unwrap_or(DEFAULT_MAX_BODY_BYTES);
        if !(1024..=1024 * 1024 * 1024).contains(&max_body) {
            return Err(self.invalid(
                "max_body_bytes",
                max_body.to_string(),
                "is out of range: from 1024 (1 KiB) to 1073741824 (1 GiB)",
            ));
        }
        let max_body_bytes = usize::try_from(max_body).map_err(|_| {
            self.invalid(
                "max_body_bytes",
                max_body.to_string(),
                "does not fit this platform",
            )
        })?;

        let timeout = self
            .request_timeout_secs
            .unwrap_or(DEFAULT_REQUEST_TIMEOUT_SECS);
        if !(1..=3600).contains(&timeout) {
            return Err(self.invalid(
                "request_timeout_secs",
                timeout.to_string(),
                "is out of range: from 1 to 3600 seconds",
            ));
        }

        let per_hour = self
            .rate_limit_per_hour
            .unwrap_or(DEFAULT_RATE_LIMIT_PER_HOUR);
        if per_hour == 0 {
            return Err(self.invalid("rate_limit_per_hour", "0", "must be at least 1"));
        }
        let per_day = self
            .rate_limit_per_day
            .unwrap_or(DEFAULT_RATE_LIMIT_PER_DAY);
        if per_day < per_hour {
            return Err(self.invalid(
                "rate_limit_per_day",
                per_day.to_string(),
                format!("is below the hourly limit ({per_hour}), which would make that limit meaningless"),
            ));
        }

        let log_format = match self.log_format.as_deref() {
            None | Some("json") => LogFormat::Json,
            Some("text") => LogFormat::Text,
            Some(other) => {
                return Err(self.invalid(
                    "log_format",
                    other,
                    "is not a log format: `json` or `text`",
                ));
            }
        };

        let key_cache = self.key_cache_secs.unwrap_or(DEFAULT_KEY_CACHE_SECS);
        if key_cache > 300 {
            return Err(self.invalid(
                "key_cache_secs",
                key_cache.to_string(),
                "is out of range: from 0 (no caching) to 300 seconds",
            ));
        }

        let render_concurrency = match self.render_concurrency {
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
            Some(n @ 1..=64) => n as usize,
            Some(n) => {
                return Err(self.invalid(
                    "render_concurrency",
                    n.to_string(),
                    "is out of range: from 1 to 64 renders at once",
                ));
            }
        };
        let models_dir = PathBuf::from(self.models_dir.as_deref().unwrap_or(DEFAULT_MODELS_DIR));

        let backend_timeout = self
            .backend_timeout_secs
            .unwrap_or(DEFAULT_BACKEND_TIMEOUT_SECS);
        if !(1..=600).contains(&backend_timeout) {
            return Err(self.invalid(
                "backend_timeout_secs",
                backend_timeout.to_string(),
                "is out of range: from 1 to 600 seconds",
            ));
        }
        let backend_retries = self.backend_retries.unwrap_or(DEFAULT_BACKEND_RETRIES);
        if backend_retries > 5 {
            return Err(self.invalid(
                "backend_retries",
                backend_retries.to_string(),
                "is out of range: from 0 to 5",
            ));
        }
        let hosted = |key: &Option<String>,
                      key_name: &'static str,
                      base: &Option<String>,
                      base_name: &'static str,
                      default_base: &str,
                      model: &Option<String>,
                      default_model: &str|
         -> Result<Option<HostedSettings>, ConfigError> {
            let Some(api_key) = key.as_ref().map(|k| k.trim().to_owned()) else {
                return Ok(None);
            };
            if api_key.is_empty() {
                return Err(self.invalid(key_name, "<empty>", "must not be empty when set"));
            }
            let base_url = base.clone().unwrap_or_else(|| default_base.to_owned());
            if !(base_url.starts_with("https://")
                || base_url.starts_with("http://127.0.0.1")
                || base_url.starts_with("http://localhost"))
            {
                return Err(self.invalid(
                    base_name,
                    base_url,
                    "must be an https:// URL (plain http only to this machine, for tests)",
                ));
            }
            Ok(Some(HostedSettings {
                base_url,
                api_key,
                model: model.clone().unwrap_or_else(|| default_model.to_owned()),
                attempt_timeout: Duration::from_secs(backend_timeout),
                retries: backend_retries,
                backoff: Duration::from_millis(500),
            }))
        };
        let openai = hosted(
            &self.openai_api_key,
            "openai_api_key",
            &self.openai_base_url,
            "openai_base_url",
            "https://api.openai.com",
            &self.openai_model,
            "gpt-image-1",
        )?;
        let gemini = hosted(
            &self.gemini_api_key,
            "gemini_api_key",
            &self.gemini_base_url,
            "gemini_base_url",
            "https://generativelanguage.googleapis.com",
            &self.gemini_model,
            "gemini-2.5-flash-image",
        )?;

        Ok(Config {
            listen,
            models_dir,
            render_concurrency,
            openai,
            gemini,
            database_url,
            data_dir,
            address_hash_secret,
            trusted_proxies,
            max_body_bytes,
            request_timeout: Duration::from_secs(timeout),
            rate_limit_per_hour: per_hour,
            rate_limit_per_day: per_day,
            log_format,
            key_cache: Duration::from_secs(key_cache),
        })
    }
}

fn parse_number<T: std::str::FromStr>(var: &str, value: &str) -> Result<T, ConfigError> {
    value.trim().parse().map_err(|_| ConfigError::Invalid {
        key: var.to_owned(),
        value: value.to_owned(),
        problem: "is not a whole number in range".to_owned(),
    })
}

/// The URL with any password replaced, for messages.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://<redacted>@{}", &url[..s], &url[at + 1..]),
        _ => url.to_owned(),
    }
}

/// The database to use.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// An embedded SQLite file (`sqlite://path`).
    Sqlite(String),
    /// A PostgreSQL server (`postgres://…` or `postgresql://…`).
    Postgres(String),
}

impl DatabaseUrl {
    /// Recognises the two supported schemes.
    pub fn parse(url: &str) -> Option<Self> {
        let url = url.trim();
        let (scheme, rest) = url.split_once("://")?;
        if rest.is_empty() {
            return None;
        }
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => Some(Self::Sqlite(url.to_owned())),
            "postgres" | "postgresql" => Some(Self::Postgres(url.to_owned())),
            _ => None,
        }
    }

    /// The URL itself (it may hold a password: don't log it).
    pub fn expose(&self) -> &str {
        match self {
            Self::Sqlite(u) | Self::Postgres(u) => u,
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(u) => write!(f, "Sqlite({u:?})"),
            Self::Postgres(u) => write!(f, "Postgres({:?})", redact_url(u)),
        }
    }
}

/// How logs are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line (the default: for log collectors).
    Json,
    /// Human-readable lines, for development.
    Text,
}

/// The validated configuration the server runs on.
#[derive(Clone, Debug)]
pub struct Config {
    /// Socket address to listen on.
    pub listen: SocketAddr,
    /// The database.
    pub database_url: DatabaseUrl,
    /// Where the embedded database and the generated address-hash key live.
    pub data_dir: PathBuf,
    /// The address-hash secret, if configured (otherwise generated into `data_dir`).
    pub address_hash_secret: Option<AddressHashKey>,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: TrustedProxies,
    /// Request body limit.
    pub max_body_bytes: usize,
    /// Request timeout.
    pub request_timeout: Duration,
    /// Default renders per (address, retailer) per hour.
    pub rate_limit_per_hour: u32,
    /// Default renders per (address, retailer) per day.
    pub rate_limit_per_day: u32,
    /// Log format.
    pub log_format: LogFormat,
    /// How long a resolved publishable key is cached.
    pub key_cache: Duration,
    /// Where the person check's model files are.
    pub models_dir: PathBuf,
    /// Most renders in flight at once (bounds memory and CPU).
    pub render_concurrency: usize,
    /// The OpenAI backend's settings, when its key is configured.
    pub openai: Option<HostedSettings>,
    /// The Gemini backend's settings, when its key is configured.
    pub gemini: Option<HostedSettings>,
}

impl Config {
    /// The address-hash secret: the configured one, else the one in `<data_dir>/address-hash.key`
    /// (generated there, 0600, on first start). Several processes sharing one PostgreSQL must be
    /// configured with the same secret, or each would count the same visitor separately.
    pub fn address_hash_key(&self) -> Result<AddressHashKey, AddressHashError> {
        match &self.address_hash_secret {
            Some(key) => Ok(key.clone()),
            None => AddressHashKey::load_or_create(&self.data_dir),
        }
    }

    /// Loads the configuration: the file from `config_path`, else from `VITRINE_CONFIG` in `env`
    /// (no file if neither), overlaid by the `VITRINE_*` variables in `env`, then validated.
    pub fn load(
        config_path: Option<&Path>,
        env: &BTreeMap<String, String>,
    ) -> Result<Self, ConfigError> {
        let path = config_path
            .map(Path::to_path_buf)
            .or_else(|| env.get(CONFIG_ENV).map(PathBuf::from));
        let raw = match path {
            Some(path) => RawConfig::from_file(&path)?,
            None => RawConfig::default(),
        };
        raw.overlay_env(env)?.validate()
    }
}

/// The process's `VITRINE_*` environment variables (a value that is not UTF-8 is kept lossily,
/// and then fails validation with its name).
pub fn process_env() -> BTreeMap<String, String> {
    std::env::vars_os()
        .filter_map(|(k, v)| {
            let k = k.into_string().ok()?;
            k.starts_with("VITRINE_")
                .then(|| (k, v.to_string_lossy().into_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::net::IpAddr;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn file(text: &str) -> RawConfig {
        RawConfig::from_toml(text, Path::new("vitrine.toml")).unwrap()
    }

    fn err(raw: RawConfig) -> String {
        raw.validate().unwrap_err().to_string()
    }

    fn env_err(pairs: &[(&str, &str)]) -> String {
        match RawConfig::default().overlay_env(&env(pairs)) {
            Err(e) => e.to_string(),
            Ok(raw) => err(raw),
        }
    }

    const SECRET: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    #[test]
    fn defaults() {
        let c = Config::load(None, &BTreeMap::new()).unwrap();
        assert_eq!(c.listen, "127.0.0.1:8787".parse().unwrap());
        assert_eq!(c.data_dir, PathBuf::from("./data"));
        assert_eq!(
            c.database_url,
            DatabaseUrl::Sqlite("sqlite://./data/vitrine.db".into())
        );
        assert!(c.address_hash_secret.is_none());
        assert!(c.trusted_proxies.is_empty());
        assert_eq!(c.max_body_bytes, 20 * 1024 * 1024);
        assert_eq!(c.request_timeout, Duration::from_secs(30));
        assert_eq!((c.rate_limit_per_hour, c.rate_limit_per_day), (10, 20));
        assert_eq!(c.log_format, LogFormat::Json);
    }

    #[test]
    fn file_only() {
        let c = file(&format!(
            r#"
            listen = "0.0.0.0:9000"
            data_dir = "/var/lib/vitrine"
            address_hash_secret = "{SECRET}"
            trusted_proxies = ["10.0.0.0/8", "::1"]
            max_body_bytes = 1048576
            request_timeout_secs = 10
            rate_limit_per_hour = 5
            rate_limit_per_day = 50
            log_format = "text"
            "#
        ))
        .validate()
        .unwrap();
        assert_eq!(c.listen, "0.0.0.0:9000".parse().unwrap());
        assert_eq!(
            c.database_url,
            DatabaseUrl::Sqlite("sqlite:///var/lib/vitrine/vitrine.db".into())
        );
        assert!(c.address_hash_secret.is_some());
        assert!(
            c.trusted_proxies
                .contains("10.1.1.1".parse::<IpAddr>().unwrap())
        );
        assert_eq!(c.max_body_bytes, 1_048_576);
        assert_eq!(c.request_timeout, Duration::from_secs(10));
        assert_eq!((c.rate_limit_per_hour, c.rate_limit_per_day), (5, 50));
        assert_eq!(c.log_format, LogFormat::Text);
    }

    #[test]
    fn env_only() {
        let c = Config::load(
            None,
            &env(&[
                ("VITRINE_LISTEN", "[::1]:8080"),
                (
                    "VITRINE_DATABASE_URL",
                    "postgres://vitrine:pw@127.0.0.1/vitrine",
                ),
                ("VITRINE_TRUSTED_PROXIES", "10.0.0.1, 192.168.0.0/16,"),
                ("VITRINE_MAX_BODY_BYTES", "2048"),
                ("VITRINE_REQUEST_TIMEOUT_SECS", "5"),
                ("VITRINE_RATE_LIMIT_PER_HOUR", "3"),
                ("VITRINE_RATE_LIMIT_PER_DAY", "4"),
                ("VITRINE_ADDRESS_HASH_SECRET", SECRET),
                ("VITRINE_LOG_FORMAT", "text"),
                ("VITRINE_DATA_DIR", "/tmp/v"),
            ]),
        )
        .unwrap();
        assert_eq!(c.listen, "[::1]:8080".parse().unwrap());
        assert!(matches!(c.database_url, DatabaseUrl::Postgres(_)));
        assert!(
            c.trusted_proxies
                .contains("192.168.3.4".parse::<IpAddr>().unwrap())
        );
        assert_eq!(c.max_body_bytes, 2048);
        assert_eq!((c.rate_limit_per_hour, c.rate_limit_per_day), (3, 4));
        assert_eq!(c.data_dir, PathBuf::from("/tmp/v"));
        // The password never shows in Debug.
        assert!(!format!("{c:?}").contains("pw"), "{c:?}");
        assert!(!format!("{c:?}").contains("aabbcc"), "{c:?}");
    }

    #[test]
    fn env_overrides_file() {
        let raw = file("listen = \"127.0.0.1:1111\"\nrate_limit_per_hour = 7\n")
            .overlay_env(&env(&[("VITRINE_LISTEN", "127.0.0.1:2222")]))
            .unwrap();
        let c = raw.validate().unwrap();
        assert_eq!(c.listen, "127.0.0.1:2222".parse().unwrap());
        assert_eq!(c.rate_limit_per_hour, 7);
    }

    #[test]
    fn config_file_from_path_or_env() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vitrine.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:3333\"\n").unwrap();
        let c = Config::load(Some(&path), &BTreeMap::new()).unwrap();
        assert_eq!(c.listen.port(), 3333);
        let c = Config::load(None, &env(&[("VITRINE_CONFIG", path.to_str().unwrap())])).unwrap();
        assert_eq!(c.listen.port(), 3333);
        let missing = dir.path().join("missing.toml");
        let e = Config::load(Some(&missing), &BTreeMap::new()).unwrap_err();
        assert!(matches!(e, ConfigError::Read { .. }), "{e}");
        assert!(e.to_string().contains("missing.toml"), "{e}");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let e = RawConfig::from_toml("trusted_proxy = [\"10.0.0.1\"]\n", Path::new("v.toml"))
            .unwrap_err();
        assert!(matches!(e, ConfigError::Parse { .. }));
        let msg = e.to_string();
        assert!(msg.contains("trusted_proxy"), "{msg}");
        assert!(msg.contains("v.toml"), "{msg}");
        // Wrong types too.
        assert!(RawConfig::from_toml("max_body_bytes = \"big\"\n", Path::new("v.toml")).is_err());
        assert!(RawConfig::from_toml("listen = ", Path::new("v.toml")).is_err());
    }

    #[test]
    fn each_invalid_value_is_named() {
        assert_eq!(
            env_err(&[("VITRINE_LISTEN", "abc")]),
            "VITRINE_LISTEN: `abc` is not a socket address (e.g. `127.0.0.1:8787` or `[::1]:8787`)"
        );
        assert_eq!(
            err(file("listen = \"abc\"")),
            "listen (in vitrine.toml): `abc` is not a socket address (e.g. `127.0.0.1:8787` or `[::1]:8787`)"
        );
        assert_eq!(
            env_err(&[("VITRINE_DATABASE_URL", "mysql://u:hunter2@db/v")]),
            "VITRINE_DATABASE_URL: `mysql://<redacted>@db/v` is not a database URL: it starts with `sqlite://`, `postgres://` or `postgresql://`"
        );
        let e = env_err(&[("VITRINE_ADDRESS_HASH_SECRET", "abcd")]);
        assert_eq!(
            e,
            "VITRINE_ADDRESS_HASH_SECRET: `<redacted, 4 characters>` is refused: the address-hash secret has 2 bytes; at least 32 are needed"
        );
        let e = env_err(&[("VITRINE_ADDRESS_HASH_SECRET", &"zz".repeat(32))]);
        assert!(e.contains("hex") && !e.contains("zzzz"), "{e}");
        assert_eq!(
            env_err(&[("VITRINE_TRUSTED_PROXIES", "10.0.0.1,proxy.local")]),
            "VITRINE_TRUSTED_PROXIES: `proxy.local` is not an IP address or CIDR block (e.g. `10.0.0.1` or `10.0.0.0/8`)"
        );
        assert_eq!(
            env_err(&[("VITRINE_MAX_BODY_BYTES", "20MB")]),
            "VITRINE_MAX_BODY_BYTES: `20MB` is not a whole number in range"
        );
        assert_eq!(
            env_err(&[("VITRINE_MAX_BODY_BYTES", "10")]),
            "VITRINE_MAX_BODY_BYTES: `10` is out of range: from 1024 (1 KiB) to 1073741824 (1 GiB)"
        );
        assert_eq!(
            env_err(&[("VITRINE_REQUEST_TIMEOUT_SECS", "0")]),
            "VITRINE_REQUEST_TIMEOUT_SECS: `0` is out of range: from 1 to 3600 seconds"
        );
        assert_eq!(
            env_err(&[("VITRINE_REQUEST_TIMEOUT_SECS", "-1")]),
            "VITRINE_REQUEST_TIMEOUT_SECS: `-1` is not a whole number in range"
        );
        assert_eq!(
            env_err(&[("VITRINE_RATE_LIMIT_PER_HOUR", "0")]),
            "VITRINE_RATE_LIMIT_PER_HOUR: `0` must be at least 1"
        );
        assert_eq!(
            env_err(&[("VITRINE_RATE_LIMIT_PER_DAY", "5")]),
            "VITRINE_RATE_LIMIT_PER_DAY: `5` is below the hourly limit (10), which would make that limit meaningless"
        );
        assert_eq!(
            env_err(&[("VITRINE_LOG_FORMAT", "xml")]),
            "VITRINE_LOG_FORMAT: `xml` is not a log format: `json` or `text`"
        );
        assert_eq!(
            err(file("data_dir = \"\"")),
            "data_dir (in vitrine.toml): `` is empty"
        );
    }

    #[test]
    fn the_address_hash_key_is_configured_or_generated_in_the_data_dir() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().to_str().unwrap();
        let generated = Config::load(None, &env(&[("VITRINE_DATA_DIR", data)])).unwrap();
        let k1 = generated.address_hash_key().unwrap();
        assert_eq!(generated.address_hash_key().unwrap(), k1);
        assert!(dir.path().join("address-hash.key").is_file());
        let configured = Config::load(
            None,
            &env(&[
                ("VITRINE_DATA_DIR", data),
                ("VITRINE_ADDRESS_HASH_SECRET", SECRET),
            ]),
        )
        .unwrap();
        assert_eq!(
            configured.address_hash_key().unwrap(),
            AddressHashKey::from_hex(SECRET).unwrap()
        );
    }

    #[test]
    fn debug_redacts_secrets() {
        let raw = file(&format!(
            "address_hash_secret = \"{SECRET}\"\ndatabase_url = \"postgres://u:pw@h/d\""
        ));
        let d = format!("{raw:?}");
        assert!(!d.contains("aabbcc") && !d.contains("pw@"), "{d}");
    }
}
