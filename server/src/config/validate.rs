//! [`RawConfig::validate`]: every setting parsed, defaulted and range-checked into a [`Config`],
//! each refusal naming the setting, where it came from (the file's key or the environment
//! variable) and the bad value (redacted for secrets).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::{
    Config, ConfigError, DEFAULT_BACKEND_RETRIES, DEFAULT_BACKEND_TIMEOUT_SECS, DEFAULT_DATA_DIR,
    DEFAULT_KEY_CACHE_SECS, DEFAULT_LISTEN, DEFAULT_MAX_BODY_BYTES, DEFAULT_MODELS_DIR,
    DEFAULT_RATE_LIMIT_PER_DAY, DEFAULT_RATE_LIMIT_PER_HOUR, DEFAULT_REQUEST_TIMEOUT_SECS,
    DatabaseUrl, LogFormat, RawConfig, Secret, env_var,
};
use crate::address_hash::AddressHashKey;
use crate::client_address::TrustedProxies;
use crate::render::hosted::HostedSettings;

impl RawConfig {
    /// Where a setting came from, for messages: the env var, or the key in the file.
    fn source(&self, key: &'static str) -> String {
        self.sources
            .get(key)
            .cloned()
            .unwrap_or_else(|| env_var(key))
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

        let database_url = match self.database_url.as_ref().map(Secret::expose) {
            None => DatabaseUrl::Sqlite(format!("sqlite://{}/vitrine.db", data_dir_text.trim_end_matches('/'))),
            Some(url) => DatabaseUrl::parse(url).ok_or_else(|| {
                self.invalid(
                    "database_url",
                    redact_url(url),
                    "is not a database URL: it starts with `sqlite://`, `postgres://` or `postgresql://`",
                )
            })?,
        };

        let address_hash_secret = match self.address_hash_secret.as_ref().map(Secret::expose) {
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
        let hosted = |key: &Option<Secret>,
                      key_name: &'static str,
                      base: &Option<String>,
                      base_name: &'static str,
                      default_base: &str,
                      model: &Option<String>,
                      default_model: &str|
         -> Result<Option<HostedSettings>, ConfigError> {
            let Some(api_key) = key.as_ref().map(|k| Secret::new(k.expose().trim())) else {
                return Ok(None);
            };
            if api_key.expose().is_empty() {
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

pub(crate) fn parse_number<T: std::str::FromStr>(var: &str, value: &str) -> Result<T, ConfigError> {
    value.trim().parse().map_err(|_| ConfigError::Invalid {
        key: var.to_owned(),
        value: value.to_owned(),
        problem: "is not a whole number in range".to_owned(),
    })
}

/// The URL with any password replaced, for messages.
pub(crate) fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://<redacted>@{}", &url[..s], &url[at + 1..]),
        _ => url.to_owned(),
    }
}
