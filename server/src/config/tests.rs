//! The configuration's loading, precedence, validation messages and redaction.

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
    let e =
        RawConfig::from_toml("trusted_proxy = [\"10.0.0.1\"]\n", Path::new("v.toml")).unwrap_err();
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

#[test]
fn every_setting_is_read_from_its_variable_and_named_by_it() {
    let names = [
        "listen",
        "database_url",
        "data_dir",
        "address_hash_secret",
        "trusted_proxies",
        "max_body_bytes",
        "request_timeout_secs",
        "rate_limit_per_hour",
        "rate_limit_per_day",
        "log_format",
        "key_cache_secs",
        "models_dir",
        "render_concurrency",
        "openai_api_key",
        "openai_base_url",
        "openai_model",
        "gemini_api_key",
        "gemini_base_url",
        "gemini_model",
        "backend_timeout_secs",
        "backend_retries",
    ];
    let vars: BTreeMap<String, String> = names
        .iter()
        .map(|name| (format!("VITRINE_{}", name.to_uppercase()), "1".to_owned()))
        .collect();
    let raw = RawConfig::default().overlay_env(&vars).unwrap();
    assert_eq!(raw.sources.len(), names.len(), "{:?}", raw.sources);
    for name in names {
        assert_eq!(
            raw.sources[name],
            format!("VITRINE_{}", name.to_uppercase())
        );
    }
}
