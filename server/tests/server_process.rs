//! The real `vitrine-server` binary, as an operator runs it: `admin` commands, `serve` with its
//! JSON logs (searched for every address and identifier a full request cycle used), graceful
//! shutdown with a request in flight, refused configurations, and two processes sharing one
//! PostgreSQL under 1,000 concurrent requests.

#![allow(clippy::unwrap_used)]

#[macro_use]
mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BINARY: &str = env!("CARGO_BIN_EXE_vitrine-server");
const SHOP: &str = "https://shop.example";
/// 64 hex characters: a 256-bit address-hash secret shared by processes in a test.
const SECRET: &str = "3f1c9a7e5b2d4f6081a3c5e7092b4d6f8a1c3e5f7092b4d6f8a1c3e5f7092b4d";

/// Environment for the binary: only what the test sets (plus PATH), so the developer's own
/// `VITRINE_*` or `RUST_LOG` cannot change the outcome.
fn command(env: &HashMap<&str, String>) -> Command {
    let mut command = Command::new(BINARY);
    command.env_clear();
    if let Ok(path) = std::env::var("PATH") {
        command.env("PATH", path);
    }
    command.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    command
}

/// Runs `vitrine-server admin …`, asserting success; returns standard output, trimmed.
fn admin(env: &HashMap<&str, String>, args: &[&str]) -> String {
    let output = command(env).arg("admin").args(args).output().unwrap();
    assert!(
        output.status.success(),
        "admin {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// Runs `vitrine-server admin …`, asserting failure; returns standard error.
fn admin_fails(env: &HashMap<&str, String>, args: &[&str]) -> String {
    let output = command(env).arg("admin").args(args).output().unwrap();
    assert!(!output.status.success(), "admin {args:?} should fail");
    String::from_utf8(output.stderr).unwrap()
}

/// A running `vitrine-server serve`, its log lines collected as they arrive.
struct Server {
    child: Child,
    address: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(env: &HashMap<&str, String>) -> Self {
        let mut child = command(env)
            .arg("serve")
            .env("VITRINE_LISTEN", "127.0.0.1:0")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (sender, receiver) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let lines = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Ok(json) = serde_json::from_str::<Value>(&line)
                    && json["message"] == "listening"
                {
                    let _ = sender.send(json["address"].as_str().unwrap_or_default().to_owned());
                }
                lines.lock().unwrap().push(line);
            }
        });
        let address = receiver
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("the server did not start: {:?}", log.lock().unwrap()));
        Self {
            child,
            address: address.parse().unwrap(),
            log,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    fn terminate(&mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the process to exit (at most `limit`).
    fn wait(&mut self, limit: Duration) -> ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(started.elapsed() < limit, "the server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn log_lines(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Only our own child, by its handle.
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A retailer with a key and [`SHOP`] allowed, made through the admin command.
fn retailer(env: &HashMap<&str, String>) -> (String, String) {
    let id = admin(env, &["retailer", "add", "--name", "Hearth & Loom"]);
    let key = admin(env, &["key", "add", &id]);
    admin(env, &["origin", "add", &id, SHOP]);
    (id, key)
}

fn sqlite_env(dir: &Path) -> HashMap<&'static str, String> {
    HashMap::from([
        ("VITRINE_DATA_DIR", dir.display().to_string()),
        ("VITRINE_TRUSTED_PROXIES", "127.0.0.1".to_owned()),
        ("VITRINE_LOG_FORMAT", "json".to_owned()),
        (
            "VITRINE_MODELS_DIR",
            common::workspace_root()
                .join("target/models")
                .display()
                .to_string(),
        ),
    ])
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_render_leaves_nothing_on_disk_or_in_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let temp = tempfile::tempdir().unwrap();
    let mut env = sqlite_env(dir.path());
    // Anything the process (or a library in it) writes to "the temp folder" lands here.
    env.insert("TMPDIR", temp.path().display().to_string());
    let (id, key) = retailer(&env);
    let texture_dir = tempfile::tempdir().unwrap();
    let texture = texture_dir.path().join("oak.png");
    image::RgbImage::from_fn(64, 64, |x, y| {
        image::Rgb(if y % 16 == 0 || x == 0 {
            [90, 60, 30]
        } else {
            [170, 120, 70]
        })
    })
    .save(&texture)
    .unwrap();
    admin(
        &env,
        &[
            "product",
            "add",
            &id,
            "--sku",
            "OAK-190",
            "--name",
            "Oak plank",
            "--surface",
            "floor",
            "--texture",
            &texture.display().to_string(),
            "--tile-mm",
            "1200x800",
        ],
    );
    let server = Server::start(&env);
    let before: Vec<_> = files_under(dir.path());

    // Watch both folders while renders run, every few milliseconds: a file that appears and
    // vanishes between two listings would still be caught at most times; one that stays is
    // caught for sure.
    let watching = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let seen = Arc::new(Mutex::new(std::collections::BTreeSet::new()));
    let watcher = {
        let (watching, seen) = (Arc::clone(&watching), Arc::clone(&seen));
        let folders = [dir.path().to_path_buf(), temp.path().to_path_buf()];
        std::thread::spawn(move || {
            while watching.load(std::sync::atomic::Ordering::Relaxed) {
                for folder in &folders {
                    seen.lock().unwrap().extend(files_under(folder));
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };
    let photo = common::fixture_photo("ia__gps_DSCN0010.jpg");
    let person = common::fixture_photo("ia__Konica_Minolta_DiMAGE_Z3.jpg");
    let client = reqwest::Client::new();
    let render = |body: Vec<u8>| {
        client
            .post(server.url(&format!("/v1/widget/{key}/renders?product=OAK-190")))
            .header("origin", SHOP)
            .header("content-type", "image/jpeg")
            .body(body)
            .send()
    };
    let answer = render(photo.clone()).await.unwrap();
    assert_eq!(answer.status(), 200);
    let rendered = answer.bytes().await.unwrap().to_vec();
    let refused = render(person.clone()).await.unwrap();
    assert_eq!(refused.status(), 422);
    watching.store(false, std::sync::atomic::Ordering::Relaxed);
    watcher.join().unwrap();

    let allowed = [
        "vitrine.db",
        "vitrine.db-wal",
        "vitrine.db-shm",
        "vitrine.db.server-lock",
        "address-hash.key",
    ];
    for path in seen
        .lock()
        .unwrap()
        .iter()
        .chain(files_under(dir.path()).iter())
    {
        let name = path.file_name().unwrap().to_string_lossy();
        assert!(
            path.starts_with(dir.path()) && allowed.contains(&name.as_ref()),
            "a file appeared during the render: {} (before: {before:?})",
            path.display()
        );
    }
    assert!(
        files_under(temp.path()).is_empty(),
        "the temp folder was used"
    );

    // Neither the photos, the render, nor the photo's metadata are in the database or the logs.
    let mut database = Vec::new();
    for name in ["vitrine.db", "vitrine.db-wal"] {
        if let Ok(bytes) = std::fs::read(dir.path().join(name)) {
            database.extend(bytes);
        }
    }
    let log = server.log_lines().join("\n");
    // Slices from the middle of each file, varied enough (at least 24 distinct byte values) that
    // they cannot match a run of zeros or padding in a database page by chance.
    let samples = |bytes: &[u8]| -> Vec<Vec<u8>> {
        let samples: Vec<Vec<u8>> = (1..40)
            .map(|i| bytes[bytes.len() * i / 40..][..48].to_vec())
            .filter(|s| s.iter().collect::<std::collections::BTreeSet<_>>().len() >= 24)
            .take(6)
            .collect();
        assert!(samples.len() >= 4, "too few varied slices");
        samples
    };
    for (what, bytes) in [
        ("photo", &photo),
        ("person", &person),
        ("render", &rendered),
    ] {
        for sample in samples(bytes) {
            let found = |haystack: &[u8]| haystack.windows(sample.len()).any(|w| w == sample);
            assert!(
                !found(&database),
                "{what} bytes in the database: {sample:?}"
            );
            assert!(!found(log.as_bytes()), "{what} bytes in the log");
        }
    }
    for needle in ["NIKON", "COOLPIX", "DSCN0010", "KONICA"] {
        assert!(!log.contains(needle), "{needle} in the log");
        assert!(
            !database
                .windows(needle.len())
                .any(|w| w == needle.as_bytes()),
            "{needle} in the database"
        );
    }
    assert!(
        log.lines().all(|line| line.len() < 600),
        "a log line is suspiciously long:\n{log}"
    );

    // Only what the shopper explicitly keeps is stored: a shared render and a lead. Neither the
    // email address nor the withdrawal token reaches the logs; the token not even the database.
    let shared: serde_json::Value = client
        .post(server.url(&format!("/v1/widget/{key}/gallery?product=OAK-190")))
        .header("origin", SHOP)
        .header("content-type", "image/jpeg")
        .body(rendered.clone())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let withdraw_path = shared["withdraw_path"].as_str().unwrap().to_owned();
    let token = withdraw_path.rsplit('/').next().unwrap().to_owned();
    use base64::Engine as _;
    let lead = client
        .post(server.url(&format!("/v1/widget/{key}/leads")))
        .header("origin", SHOP)
        .json(&serde_json::json!({
            "email": "leaks.never@example.com",
            "product": "OAK-190",
            "render": base64::engine::general_purpose::STANDARD.encode(&rendered),
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(lead.status(), 201);
    let listed = admin(&env, &["gallery", "list", &id, "--status", "pending"]);
    let item = listed
        .lines()
        .nth(1)
        .unwrap()
        .split('\t')
        .next()
        .unwrap()
        .to_owned();
    assert!(
        listed.contains("pending\t") && listed.contains("OAK-190"),
        "{listed}"
    );
    assert_eq!(
        admin(&env, &["gallery", "approve", &id, &item]),
        format!("{item} approved")
    );
    let leads = admin(&env, &["lead", "list", &id]);
    assert!(
        leads.contains("no\tOAK-190\tleaks.never@example.com"),
        "{leads}"
    );
    let log = server.log_lines().join("\n");
    assert!(!log.contains("leaks.never"), "the email is in the log");
    assert!(!log.contains(&token), "the withdrawal token is in the log");
    let mut database = Vec::new();
    for name in ["vitrine.db", "vitrine.db-wal"] {
        if let Ok(bytes) = std::fs::read(dir.path().join(name)) {
            database.extend(bytes);
        }
    }
    assert!(
        !database.windows(token.len()).any(|w| w == token.as_bytes()),
        "the withdrawal token is stored"
    );
    let withdrawn = client.get(server.url(&withdraw_path)).send().await.unwrap();
    assert_eq!(withdrawn.status(), 200);
    assert_eq!(admin(&env, &["gallery", "list", &id]).lines().count(), 1);
}

#[test]
fn admin_manages_retailers_keys_and_origins() {
    let dir = tempfile::tempdir().unwrap();
    let env = sqlite_env(dir.path());
    let (id, first) = retailer(&env);
    assert!(first.starts_with("pk_") && first.len() == 35, "{first}");
    let second = admin(&env, &["key", "add", &id]);
    let secret = admin(&env, &["secret-key", "add", &id]);
    assert!(secret.starts_with("sk_"), "a secret key is printed once");
    admin(&env, &["origin", "add", &id, "https://*.brand.example"]);
    admin(
        &env,
        &[
            "retailer",
            "limits",
            &id,
            "--per-hour",
            "5",
            "--per-day",
            "7",
        ],
    );
    let shown = admin(&env, &["retailer", "show", &id]);
    for expected in [
        first.as_str(),
        second.as_str(),
        "https://shop.example",
        "https://*.brand.example",
        "5 renders per hour, 7 per day",
        &secret[..11],
    ] {
        assert!(shown.contains(expected), "{expected} not in\n{shown}");
    }
    assert!(!shown.contains(&secret), "the secret is never shown again");
    assert!(admin_fails(&env, &["key", "add", &id]).contains("revoke the old one first"));
    admin(&env, &["key", "revoke", &id, &first]);
    let shown = admin(&env, &["retailer", "show", &id]);
    assert!(shown.contains(&format!("{first}\trevoked at")), "{shown}");
    // Refusals name the problem.
    assert!(
        admin_fails(&env, &["origin", "add", &id, "https://shop.example/path"]).contains("path")
    );
    assert!(admin_fails(&env, &["key", "add", "999"]).contains("no retailer 999"));
    assert!(admin_fails(&env, &["retailer", "delete", &id]).contains("--yes"));
    assert!(
        admin_fails(
            &env,
            &[
                "retailer",
                "limits",
                &id,
                "--per-hour",
                "9",
                "--per-day",
                "3"
            ]
        )
        .contains("per-day")
    );
    let listed = admin(&env, &["retailer", "list"]);
    assert!(listed.contains("Hearth & Loom"), "{listed}");
    admin(&env, &["retailer", "delete", &id, "--yes"]);
    assert!(!admin(&env, &["retailer", "list"]).contains("Hearth & Loom"));
}

#[test]
fn invalid_configuration_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = sqlite_env(dir.path());
    env.insert("VITRINE_RATE_LIMIT_PER_HOUR", "ten".to_owned());
    let output = command(&env).arg("serve").output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("VITRINE_RATE_LIMIT_PER_HOUR"), "{stderr}");

    let config = dir.path().join("vitrine.toml");
    std::fs::write(&config, "trusted_proxy = [\"10.0.0.0/8\"]\n").unwrap();
    let env = sqlite_env(dir.path());
    let output = command(&env)
        .args(["--config", config.to_str().unwrap(), "serve"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("trusted_proxy"),
        "an unknown key is named: {stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_request_cycle_logs_no_personal_data() {
    let dir = tempfile::tempdir().unwrap();
    let env = sqlite_env(dir.path());
    let (id, key) = retailer(&env);
    let secret = admin(&env, &["secret-key", "add", &id]);
    let mut server = Server::start(&env);

    let visitor_v4 = "203.0.113.77";
    let visitor_v6 = "2001:db8:abcd:12::77";
    let email = "jane.doe@example.com";
    let user_id = "user-48151623";
    let client = reqwest::Client::new();
    let mut statuses = Vec::new();
    for visitor in [visitor_v4, visitor_v6] {
        let config = client
            .get(server.url(&format!(
                "/v1/widget/{key}/config?email={email}&uid={user_id}"
            )))
            .header("origin", SHOP)
            .header("x-forwarded-for", visitor)
            .header("cookie", format!("uid={user_id}; email={email}"))
            .send()
            .await
            .unwrap();
        statuses.push(config.status().as_u16());
        for _ in 0..11 {
            let render = client
                .post(server.url(&format!("/v1/widget/{key}/device-renders")))
                .header("origin", SHOP)
                .header("x-forwarded-for", visitor)
                .header("content-type", "application/json")
                .body(r#"{"product":"OAK-190"}"#)
                .send()
                .await
                .unwrap();
            statuses.push(render.status().as_u16());
        }
    }
    // Analytics beacons: a consented one whose search term is an email (that event is deleted on
    // arrival, the other kept), and one refused whole for a field named like the email.
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    for (body, expected) in [
        (
            format!(
                r#"{{"v":1,"consent":1,"ids":{{"anonymous":"{}"}},"events":[{{"name":"search","at":{now_ms},"term":"{email}"}},{{"name":"page_view","at":{now_ms}}}]}}"#,
                "a".repeat(32)
            ),
            202,
        ),
        (
            format!(
                r#"{{"v":1,"consent":0,"events":[{{"name":"search","at":{now_ms},"term":"rug","{email}":1}}]}}"#
            ),
            400,
        ),
    ] {
        let beacon = client
            .post(server.url(&format!("/v1/widget/{key}/events")))
            .header("origin", SHOP)
            .header("x-forwarded-for", visitor_v4)
            .header("content-type", "text/plain;charset=UTF-8")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = beacon.status().as_u16();
        let answer = beacon.text().await.unwrap();
        assert_eq!(status, expected, "{answer}");
        assert!(!answer.contains(email), "{answer}");
        statuses.push(status);
    }
    // Refusals of every kind, carrying personal data where a careless log would pick it up.
    for (method, path, origin, body) in [
        (
            "POST",
            format!("/v1/widget/{key}/device-renders"),
            SHOP,
            format!(r#"{{"product":"A","email":"{email}"}}"#),
        ),
        (
            "GET",
            format!("/v1/widget/{secret}/config"),
            SHOP,
            String::new(),
        ),
        (
            "GET",
            format!("/v1/widget/{key}/config"),
            "https://evil.example",
            String::new(),
        ),
        ("GET", format!("/{email}/{user_id}"), SHOP, String::new()),
    ] {
        let request = client
            .request(method.parse().unwrap(), server.url(&path))
            .header("origin", origin)
            .header("x-forwarded-for", visitor_v4)
            .header("content-type", "application/json")
            .header("user-agent", format!("Mozilla/5.0 ({user_id})"))
            .body(body);
        statuses.push(request.send().await.unwrap().status().as_u16());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 20);
    assert_eq!(statuses.iter().filter(|s| **s == 202).count(), 1);
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 2);
    assert!(statuses.ends_with(&[400, 401, 403, 404]), "{statuses:?}");

    server.terminate();
    assert!(server.wait(Duration::from_secs(20)).success());
    let lines = server.log_lines();
    let answered = lines
        .iter()
        .filter(|line| {
            let json: Value = serde_json::from_str(line).expect("every log line is JSON");
            json["message"] == "answered"
        })
        .count();
    assert_eq!(answered, statuses.len(), "one log line per request");
    let log = lines.join("\n");
    for needle in [
        visitor_v4,
        "203.0.113.",
        visitor_v6,
        "2001:db8:abcd",
        email,
        user_id,
        &secret,
        &secret[3..],
        &key,
        "evil.example",
        "shop.example",
        "Mozilla",
    ] {
        assert!(!log.contains(needle), "the log contains {needle:?}:\n{log}");
    }
    // The database holds no address either, neither as text nor as raw bytes.
    let mut database = std::fs::read(dir.path().join("vitrine.db")).unwrap();
    if let Ok(wal) = std::fs::read(dir.path().join("vitrine.db-wal")) {
        database.extend(wal);
    }
    for needle in [
        visitor_v4.as_bytes(),
        visitor_v6.as_bytes(),
        &[203, 0, 113, 77],
        email.as_bytes(),
        user_id.as_bytes(),
    ] {
        assert!(
            !database.windows(needle.len()).any(|w| w == needle),
            "the database holds {needle:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_the_request_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let env = sqlite_env(dir.path());
    let (_, key) = retailer(&env);
    let mut server = Server::start(&env);
    let body = br#"{"product":"OAK-190"}"#;
    let mut stream = tokio::net::TcpStream::connect(server.address)
        .await
        .unwrap();
    let head = format!(
        "POST /v1/widget/{key}/device-renders HTTP/1.1\r\nhost: {}\r\norigin: {SHOP}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n",
        server.address,
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body[..5]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.terminate();
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Draining: no new connections are accepted, and the server has not exited.
    assert!(
        tokio::net::TcpStream::connect(server.address)
            .await
            .is_err(),
        "a new connection was accepted after SIGTERM"
    );
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "exited with a request in flight"
    );
    stream.write_all(&body[5..]).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "no answer to the request in flight");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    assert!(answer.contains("renders_left_this_hour"), "{answer}");
    assert!(server.wait(Duration::from_secs(20)).success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_sharing_postgres_count_exactly() {
    let url = common::postgres_url().await;
    let dir = tempfile::tempdir().unwrap();
    let mut env = sqlite_env(dir.path());
    env.insert("VITRINE_DATABASE_URL", url);
    env.insert("VITRINE_ADDRESS_HASH_SECRET", SECRET.to_owned());
    let (_, key) = retailer(&env);
    let servers = [Server::start(&env), Server::start(&env)];
    thousand_concurrent_requests_count_exactly(&servers, &key).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_process_on_sqlite_counts_exactly_and_keeps_counts_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let env = sqlite_env(dir.path());
    let (_, key) = retailer(&env);
    let mut server = Server::start(&env);
    thousand_concurrent_requests_count_exactly(std::slice::from_ref(&server), &key).await;
    // A second server on the same SQLite file refuses to start (its counts would not be exact).
    let second = command(&env)
        .arg("serve")
        .env("VITRINE_LISTEN", "127.0.0.1:0")
        .output()
        .unwrap();
    assert!(!second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("another vitrine-server"), "{stderr}");
    // The counts are written on shutdown and read back at start: the limit still holds.
    server.terminate();
    assert!(server.wait(Duration::from_secs(20)).success());
    let server = Server::start(&env);
    let status = reqwest::Client::new()
        .post(server.url(&format!("/v1/widget/{key}/device-renders")))
        .header("origin", SHOP)
        .header("x-forwarded-for", "198.51.100.7")
        .header("content-type", "application/json")
        .body(r#"{"product":"OAK-190"}"#)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(
        status.as_u16(),
        429,
        "a restart handed out a fresh allowance"
    );
}

/// 1,000 requests at once from 50 visitors (behind the trusted loopback proxy), spread over
/// `servers`: exactly 10 per visitor are allowed.
async fn thousand_concurrent_requests_count_exactly(servers: &[Server], key: &str) {
    const ADDRESSES: usize = 50;
    const REQUESTS: usize = 1_000;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let barrier = Arc::new(tokio::sync::Barrier::new(REQUESTS));
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..REQUESTS {
        let visitor = format!("198.51.100.{}", n % ADDRESSES);
        let url = servers[n % servers.len()].url(&format!("/v1/widget/{key}/device-renders"));
        let client = client.clone();
        let barrier = Arc::clone(&barrier);
        tasks.spawn(async move {
            barrier.wait().await;
            let response = client
                .post(url)
                .header("origin", SHOP)
                .header("x-forwarded-for", &visitor)
                .header("content-type", "application/json")
                .body(r#"{"product":"OAK-190"}"#)
                .send()
                .await
                .unwrap();
            (visitor, response.status().as_u16())
        });
    }
    let mut allowed: HashMap<String, usize> = HashMap::new();
    let mut refused = 0;
    while let Some(result) = tasks.join_next().await {
        let (visitor, status) = result.unwrap();
        match status {
            201 => *allowed.entry(visitor).or_default() += 1,
            429 => refused += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(allowed.len(), ADDRESSES);
    assert!(
        allowed.values().all(|&n| n == 10),
        "not exactly 10 per address: {allowed:?}"
    );
    assert_eq!(refused, REQUESTS - 10 * ADDRESSES);
    // Every process served requests.
    for server in servers {
        let metrics = reqwest::get(server.url("/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(metrics.contains(r#"status="201"} "#), "{metrics}");
    }
}
