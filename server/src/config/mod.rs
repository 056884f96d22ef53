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
//! Each setting is declared once, in [`settings!`]'s list: its name in the file, its environment
//! variable (derived from the name) and its type. Secrets (the address-hash secret, a database
//! password, the hosted backends' API keys) are [`Secret`]s, never echoed in errors or `Debug`.
//! Each setting's checks and messages are in [`validate`].

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::address_hash::{AddressHashError, AddressHashKey};
use crate::client_address::TrustedProxies;
use crate::render::hosted::HostedSettings;

mod validate;
pub use crate::secret::Secret;
pub(crate) use validate::parse_number;
pub(crate) use validate::redact_url;

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

/// Declares every setting once: its name in the file is the field's name, its environment
/// variable is `VITRINE_` and that name in capitals, and its type says how the environment's text
/// is read ([`FromEnv`]). From this one list come [`RawConfig`]'s fields, the TOML schema (unknown
/// keys refused), `Debug` (secrets are [`Secret`]s, which never print), the environment overlay,
/// and where each set value came from.
macro_rules! settings {
    ($( $(#[doc = $doc:literal])* $key:ident: $type:ty, )*) => {
        /// Configuration as written: every field optional, nothing checked but the TOML types.
        #[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
        #[serde(deny_unknown_fields)]
        pub struct RawConfig {
            $( $(#[doc = $doc])* pub $key: Option<$type>, )*
            /// Where each set field came from, for error messages.
            #[serde(skip)]
            sources: BTreeMap<&'static str, String>,
        }

        impl RawConfig {
            /// Records `path` as the source of every setting the file sets.
            fn note_file_sources(&mut self, path: &Path) {
                $( if self.$key.is_some() {
                    self.sources.insert(
                        stringify!($key),
                        format!("{} (in {})", stringify!($key), path.display()),
                    );
                } )*
            }

            /// Overlays `VITRINE_*` variables from `env` (the process environment in production,
            /// a map in tests). Set variables win over the file; numbers are parsed here, naming
            /// the variable.
            pub fn overlay_env(mut self, env: &BTreeMap<String, String>) -> Result<Self, ConfigError> {
                $( let var = env_var(stringify!($key));
                if let Some(value) = env.get(&var) {
                    self.$key = Some(<$type as FromEnv>::from_env(&var, value)?);
                    self.sources.insert(stringify!($key), var);
                } )*
                Ok(self)
            }
        }
    };
}

settings! {
    /// `listen = "127.0.0.1:8787"`.
    listen: String,
    /// `database_url = "sqlite://…"` or `"postgres://…"` (may hold a password).
    database_url: Secret,
    /// `data_dir = "./data"`.
    data_dir: String,
    /// `address_hash_secret = "<hex, ≥ 32 bytes>"`.
    address_hash_secret: Secret,
    /// `trusted_proxies = ["10.0.0.0/8", "::1"]` (the environment form is comma-separated).
    trusted_proxies: Vec<String>,
    /// `max_body_bytes = 20971520`.
    max_body_bytes: u64,
    /// `request_timeout_secs = 30`.
    request_timeout_secs: u64,
    /// `rate_limit_per_hour = 10`.
    rate_limit_per_hour: u32,
    /// `rate_limit_per_day = 20`.
    rate_limit_per_day: u32,
    /// `log_format = "json"` or `"text"`.
    log_format: String,
    /// `key_cache_secs = 5`.
    key_cache_secs: u64,
    /// `models_dir = "target/models"`.
    models_dir: String,
    /// `render_concurrency = 2` (default: the number of CPU cores).
    render_concurrency: u32,
    /// `openai_api_key = "sk-…"`: enables the OpenAI backend for retailers that choose it.
    openai_api_key: Secret,
    /// `openai_base_url = "https://api.openai.com"`.
    openai_base_url: String,
    /// `openai_model = "gpt-image-1"`.
    openai_model: String,
    /// `gemini_api_key = "…"`: enables the Gemini backend for retailers that choose it.
    gemini_api_key: Secret,
    /// `gemini_base_url = "https://generativelanguage.googleapis.com"`.
    gemini_base_url: String,
    /// `gemini_model = "gemini-2.5-flash-image"`.
    gemini_model: String,
    /// `backend_timeout_secs = 60`: one attempt at a hosted backend.
    backend_timeout_secs: u64,
    /// `backend_retries = 2`: attempts after the first, on timeouts, 429 and 5xx.
    backend_retries: u32,
}

/// A setting's environment variable: `VITRINE_` and its name in the file, in capitals.
fn env_var(key: &str) -> String {
    format!("VITRINE_{}", key.to_ascii_uppercase())
}

/// How a setting's value is read from an environment variable's text.
trait FromEnv: Sized {
    fn from_env(var: &str, value: &str) -> Result<Self, ConfigError>;
}

impl FromEnv for String {
    fn from_env(_: &str, value: &str) -> Result<Self, ConfigError> {
        Ok(value.to_owned())
    }
}

impl FromEnv for Secret {
    fn from_env(_: &str, value: &str) -> Result<Self, ConfigError> {
        Ok(Secret::new(value))
    }
}

/// A list is comma-separated in the environment (an array in the file).
impl FromEnv for Vec<String> {
    fn from_env(_: &str, value: &str) -> Result<Self, ConfigError> {
        Ok(value.split(',').map(|s| s.trim().to_owned()).collect())
    }
}

impl FromEnv for u64 {
    fn from_env(var: &str, value: &str) -> Result<Self, ConfigError> {
        parse_number(var, value)
    }
}

impl FromEnv for u32 {
    fn from_env(var: &str, value: &str) -> Result<Self, ConfigError> {
        parse_number(var, value)
    }
}

impl RawConfig {
    /// Parses a config file's text; `path` is only used in messages.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let mut raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        raw.note_file_sources(path);
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
    /// The configuration with nothing set: every default.
    pub fn defaults() -> Self {
        match RawConfig::default().validate() {
            Ok(config) => config,
            Err(error) => unreachable!("the defaults are valid (see the `defaults` test): {error}"),
        }
    }

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
mod tests;
