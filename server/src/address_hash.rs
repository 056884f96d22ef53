//! Network addresses are never stored: only a keyed one-way hash of them (for rate-limit
//! counters), and a truncated form where an address is kept at all.
//!
//! Why keyed: a plain SHA-256 of an IPv4 address is no protection. There are only 2^32 IPv4
//! addresses; hashing all of them takes minutes on one GPU, after which every stored hash is
//! reversed by table look-up. HMAC-SHA256 under a server secret makes that enumeration require the
//! secret, which never leaves the server (not in the database, not in logs, not in backups of the
//! database). A database leak on its own then reveals no visitor's address.
//!
//! The secret comes from configuration (`VITRINE_ADDRESS_HASH_SECRET`, hex, ≥ 32 bytes) — needed
//! when several processes share one PostgreSQL, as they must all hash alike — or is generated on
//! first start into `<data_dir>/address-hash.key`, readable by the server's user only.

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::net::IpAddr;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

pub use vitrine_core::analytics::identifiers::{hmac_sha256, truncate_address as truncate};

use crate::keys::{hex_decode, hex_encode};
use crate::storage::RetailerId;

/// File name of the generated secret inside the data directory.
pub const KEY_FILE_NAME: &str = "address-hash.key";
/// Minimum secret length in bytes (256 bits: as strong as the hash itself).
pub const MIN_SECRET_BYTES: usize = 32;

/// Why the secret could not be loaded or made.
#[derive(Debug, thiserror::Error)]
pub enum AddressHashError {
    /// The secret is too short. (The secret itself is never echoed.)
    #[error("the address-hash secret has {0} bytes; at least 32 are needed")]
    TooShort(usize),
    /// The secret is not hex.
    #[error("the address-hash secret must be written in hex (e.g. `openssl rand -hex 32`)")]
    NotHex,
    /// The key file is readable or writable by group or others.
    #[error(
        "{path} has mode {mode:o}, so other users can read the address-hash secret: run `chmod 600 {path}`"
    )]
    Permissions {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The key file is not a regular file (a symlink, say: refused so it cannot point elsewhere).
    #[error("{0} is not a regular file")]
    NotAFile(PathBuf),
    /// The key file's contents are not a valid secret.
    #[error("{path}: {source}")]
    BadFile {
        /// The key file.
        path: PathBuf,
        /// What is wrong with its contents.
        source: Box<AddressHashError>,
    },
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// The OS random source failed.
    #[error("the operating system's random source failed: {0}")]
    Random(String),
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> AddressHashError + '_ {
    move |source| AddressHashError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The server secret under which addresses are hashed. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct AddressHashKey(Vec<u8>);

impl fmt::Debug for AddressHashKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AddressHashKey(<{} bytes, redacted>)", self.0.len())
    }
}

/// A keyed hash of a network address: what rate-limit counters are keyed by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AddressHash(pub [u8; 32]);

impl AddressHash {
    /// Lowercase hex, for storage as text.
    pub fn to_hex(&self) -> String {
        hex_encode(&self.0)
    }
}

impl AddressHashKey {
    /// A secret from raw bytes (at least 32).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, AddressHashError> {
        if bytes.len() < MIN_SECRET_BYTES {
            return Err(AddressHashError::TooShort(bytes.len()));
        }
        Ok(Self(bytes))
    }

    /// A secret from hex (surrounding whitespace ignored), as in configuration and the key file.
    pub fn from_hex(hex: &str) -> Result<Self, AddressHashError> {
        Self::from_bytes(hex_decode(hex.trim()).ok_or(AddressHashError::NotHex)?)
    }

    /// A fresh 32-byte secret from the OS CSPRNG.
    pub fn generate() -> Result<Self, AddressHashError> {
        let mut bytes = vec![0u8; MIN_SECRET_BYTES];
        getrandom::fill(&mut bytes).map_err(|e| AddressHashError::Random(e.to_string()))?;
        Ok(Self(bytes))
    }

    /// Reads `<data_dir>/address-hash.key`, or creates it (mode 0600) with a fresh secret.
    ///
    /// Creation is atomic: the secret is written and synced to a private temporary file, which is
    /// then hard-linked to the final name. `link` fails if the name exists, so two processes
    /// starting together never both win, and a reader never sees a half-written file. An existing
    /// file that group or others may read or write is refused rather than silently fixed: the
    /// secret may already have leaked, and the operator should know.
    pub fn load_or_create(data_dir: &Path) -> Result<Self, AddressHashError> {
        let path = data_dir.join(KEY_FILE_NAME);
        match Self::load(&path) {
            Err(AddressHashError::Io { source, .. })
                if source.kind() == io::ErrorKind::NotFound => {}
            other => return other,
        }
        // A directory we create is private too (it also holds the embedded database); an existing
        // one keeps the operator's permissions.
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(data_dir)
            .map_err(io_err(data_dir))?;
        let key = Self::generate()?;
        let mut suffix = [0u8; 8];
        getrandom::fill(&mut suffix).map_err(|e| AddressHashError::Random(e.to_string()))?;
        let tmp = data_dir.join(format!(".{KEY_FILE_NAME}.{}.tmp", hex_encode(&suffix)));
        let written = (|| {
            let mut file = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?;
            file.write_all(format!("{}\n", hex_encode(&key.0)).as_bytes())?;
            file.sync_all()?;
            fs::hard_link(&tmp, &path)
        })();
        // The temporary name goes either way; failing to remove it leaves a 0600 file, no leak.
        let _ = fs::remove_file(&tmp);
        match written {
            Ok(()) => Ok(key),
            // Another process created it first: use theirs, so all hash alike.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Self::load(&path),
            Err(e) => Err(AddressHashError::Io { path, source: e }),
        }
    }

    /// Reads an existing key file, refusing one that is not private to its owner.
    pub fn load(path: &Path) -> Result<Self, AddressHashError> {
        let meta = fs::symlink_metadata(path).map_err(io_err(path))?;
        if !meta.file_type().is_file() {
            return Err(AddressHashError::NotAFile(path.to_owned()));
        }
        let mode = meta.mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(AddressHashError::Permissions {
                path: path.to_owned(),
                mode,
            });
        }
        let text = fs::read_to_string(path).map_err(io_err(path))?;
        Self::from_hex(&text).map_err(|e| AddressHashError::BadFile {
            path: path.to_owned(),
            source: Box::new(e),
        })
    }

    /// HMAC-SHA256 of the address under this secret. IPv4-mapped IPv6 is hashed as IPv4, and the
    /// family is part of the input, so `1.2.3.4` and `::102:304` never collide.
    pub fn hash(&self, ip: IpAddr) -> AddressHash {
        let mut input = [0u8; 17];
        let len = match ip.to_canonical() {
            IpAddr::V4(v4) => {
                input[0] = 4;
                input[1..5].copy_from_slice(&v4.octets());
                5
            }
            IpAddr::V6(v6) => {
                input[0] = 6;
                input[1..17].copy_from_slice(&v6.octets());
                17
            }
        };
        AddressHash(hmac_sha256(&self.0, &input[..len]))
    }
}

/// The per-retailer derivations: each purpose and retailer gets its own key, derived from the one
/// server secret, so nothing new is stored and every instance sharing the secret agrees.
impl AddressHashKey {
    fn derive(&self, purpose: &[u8], retailer: RetailerId) -> [u8; 32] {
        let mut input = Vec::with_capacity(purpose.len() + 8);
        input.extend_from_slice(purpose);
        input.extend_from_slice(&retailer.0.to_be_bytes());
        hmac_sha256(&self.0, &input)
    }

    /// The analytics visitor hash: HMAC-SHA256 of the visitor's counting unit (IPv4 address or
    /// IPv6 /64, see [`crate::rate_limit::counting_unit`]) under a key that belongs to this
    /// retailer alone. What a retailer counts distinct returning visitors by; the same visitor at
    /// two retailers has unrelated hashes, and none of them is the rate limiter's hash.
    pub fn visitor_hash(&self, retailer: RetailerId, counting_unit: IpAddr) -> String {
        let key = self.derive(b"vitrine/analytics-visitor/v1\0", retailer);
        let AddressHash(hash) = AddressHashKey(key.to_vec()).hash(counting_unit);
        hex_encode(&hash)
    }

    /// The retailer's user-id salt, which the widget hashes `setUser` ids under (see
    /// [`vitrine_core::analytics::identifiers::hash_user_id`]). Public by design; derived so
    /// that no retailer's salt says anything about another's or about the secret.
    pub fn user_salt(&self, retailer: RetailerId) -> String {
        hex_encode(&self.derive(b"vitrine/user-id-salt/v1\0", retailer))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn same_input_same_hash_and_different_secrets_differ() {
        let a = AddressHashKey::from_bytes(vec![1; 32]).unwrap();
        let b = AddressHashKey::from_bytes(vec![2; 32]).unwrap();
        let addr = ip("203.0.113.7");
        assert_eq!(a.hash(addr), a.hash(addr));
        assert_ne!(a.hash(addr), b.hash(addr));
        assert_ne!(a.hash(addr), a.hash(ip("203.0.113.8")));
        // Mapped IPv6 is the same client as its IPv4.
        assert_eq!(a.hash(addr), a.hash(ip("::ffff:203.0.113.7")));
        // Families are separated.
        assert_ne!(a.hash(ip("1.2.3.4")), a.hash(ip("::102:304")));
        // The hash is not the unkeyed SHA-256 of the address.
        use sha2::{Digest, Sha256};
        assert_ne!(
            a.hash(addr).0,
            <[u8; 32]>::from(Sha256::digest([203, 0, 113, 7]))
        );
    }

    #[test]
    fn secrets_must_be_long_hex() {
        assert!(matches!(
            AddressHashKey::from_hex(&"ab".repeat(31)),
            Err(AddressHashError::TooShort(31))
        ));
        assert!(matches!(
            AddressHashKey::from_hex("not hex"),
            Err(AddressHashError::NotHex)
        ));
        assert!(AddressHashKey::from_hex(&format!(" {}\n", "ab".repeat(32))).is_ok());
        let k = AddressHashKey::from_hex(&"ab".repeat(32)).unwrap();
        assert!(!format!("{k:?}").contains("abab"));
    }

    #[test]
    fn the_key_file_is_created_0600_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("nested/data");
        let first = AddressHashKey::load_or_create(&data).unwrap();
        let path = data.join(KEY_FILE_NAME);
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dir_mode = fs::metadata(&data).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            dir_mode & 0o077,
            0,
            "a created data dir is private: {dir_mode:o}"
        );
        let second = AddressHashKey::load_or_create(&data).unwrap();
        assert_eq!(first, second);
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(&data).unwrap().count(), 1);
        assert_eq!(
            fs::read_to_string(&path).unwrap().trim(),
            hex_encode(&first.0)
        );
    }

    #[test]
    fn concurrent_first_starts_agree_on_one_secret() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().to_owned();
        let keys: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| AddressHashKey::load_or_create(&data).unwrap()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(keys.windows(2).all(|w| w[0] == w[1]));
    }

    #[test]
    fn a_world_readable_key_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEY_FILE_NAME);
        fs::write(&path, "ab".repeat(32)).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = AddressHashKey::load_or_create(dir.path()).unwrap_err();
        assert!(matches!(
            err,
            AddressHashError::Permissions { mode: 0o644, .. }
        ));
        assert!(err.to_string().contains("chmod 600"), "{err}");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(
            AddressHashKey::load_or_create(dir.path()).unwrap(),
            AddressHashKey::from_hex(&"ab".repeat(32)).unwrap()
        );
    }

    #[test]
    fn a_corrupt_or_symlinked_key_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEY_FILE_NAME);
        fs::write(&path, "short").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        assert!(matches!(
            AddressHashKey::load_or_create(dir.path()),
            Err(AddressHashError::BadFile { .. })
        ));
        fs::remove_file(&path).unwrap();
        let target = dir.path().join("elsewhere");
        fs::write(&target, "ab".repeat(32)).unwrap();
        fs::set_permissions(&target, fs::Permissions::from_mode(0o600)).unwrap();
        std::os::unix::fs::symlink(&target, &path).unwrap();
        assert!(matches!(
            AddressHashKey::load_or_create(dir.path()),
            Err(AddressHashError::NotAFile(_))
        ));
    }

    #[test]
    fn derived_keys_are_per_retailer_and_per_purpose() {
        let key = AddressHashKey::from_bytes(vec![7; 32]).unwrap();
        let visitor = ip("203.0.113.7");
        let a = key.visitor_hash(RetailerId(1), visitor);
        assert_eq!(a.len(), 64);
        assert_eq!(a, key.visitor_hash(RetailerId(1), visitor));
        assert_ne!(a, key.visitor_hash(RetailerId(2), visitor));
        assert_ne!(a, key.hash(visitor).to_hex(), "not the rate limiter's hash");
        assert_ne!(key.user_salt(RetailerId(1)), key.user_salt(RetailerId(2)));
        assert_ne!(key.user_salt(RetailerId(1)), a);
        // Another server secret: everything differs.
        let other = AddressHashKey::from_bytes(vec![8; 32]).unwrap();
        assert_ne!(a, other.visitor_hash(RetailerId(1), visitor));
        assert_ne!(key.user_salt(RetailerId(1)), other.user_salt(RetailerId(1)));
    }
}
