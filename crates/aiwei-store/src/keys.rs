//! The secret key material of an installation: the key ring that seals
//! callers' personal data at rest (R-5.1.1) and keys the blind index of
//! their phone numbers.
//!
//! The key file is created on first run with mode 0600 in the data directory
//! (or given by the operator). It holds one key per line, `ID HEX`, oldest
//! first; the last line is the current key, under which new data is sealed.
//! A file of a single bare hex line (the first format) is key `k1`.
//! `aiwei keys rotate` appends a new key and re-seals every row under it;
//! older keys stay in the file so rows not yet re-sealed, and backups, can
//! still be opened.
//!
//! Sealing is AES-256-GCM with a random 96-bit nonce; the associated data
//! binds each ciphertext to its row and key id, so a sealed value copied
//! onto another matter does not open. Every use of a key is through a
//! sub-key derived for that purpose (HMAC-SHA256 with a label).

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use aiwei_core::PhoneNumber;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::error::StoreError;

const NONCE_LEN: usize = 12;

/// One key of the ring.
#[derive(Clone)]
struct Key {
    id: String,
    master: [u8; 32],
}

/// The installation's keys. `Debug` never prints them. Cheap to clone; the
/// clones share one ring, so a reload is seen by all.
#[derive(Clone)]
pub struct Keys {
    ring: Arc<RwLock<Vec<Key>>>,
    path: Option<PathBuf>,
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Keys(***)")
    }
}

fn poisoned<T>(_: T) -> StoreError {
    StoreError::Config("key ring lock poisoned".into())
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 32 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn parse_ring(text: &str, path: &Path) -> Result<Vec<Key>, StoreError> {
    let bad = |why: &str| StoreError::Config(format!("key file {}: {why}", path.display()));
    let mut ring: Vec<Key> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (id, hex_key) = match line.split_once(char::is_whitespace) {
            Some((id, k)) => (id.to_owned(), k.trim()),
            // The first format: one bare key.
            None if ring.is_empty() => ("k1".to_owned(), line),
            None => return Err(bad("every key after the first needs an id")),
        };
        if !valid_id(&id) || ring.iter().any(|k| k.id == id) {
            return Err(bad("key ids must be unique letters, digits or '-'"));
        }
        let bytes = hex::decode(hex_key).map_err(|_| bad("a key is not hex"))?;
        let master: [u8; 32] = bytes
            .try_into()
            .map_err(|_| bad("each key must hold 32 bytes"))?;
        ring.push(Key { id, master });
    }
    if ring.is_empty() {
        return Err(bad("no key"));
    }
    Ok(ring)
}

fn random_key() -> [u8; 32] {
    let mut master = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut master);
    master
}

/// Writes the key file atomically (temporary file, fsync, rename), private
/// to the owner.
fn write_ring(path: &Path, ring: &[Key]) -> Result<(), StoreError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        crate::files::private_dir_all(parent)?;
    }
    let tmp = path.with_extension(format!("tmp-{}", uuid::Uuid::now_v7().simple()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp)?;
    writeln!(
        f,
        "# Aiwei Desk keys: one per line, oldest first; the last is current. Keep private."
    )?;
    for k in ring {
        writeln!(f, "{} {}", k.id, hex::encode(k.master))?;
    }
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
        && let Ok(dir) = std::fs::File::open(parent)
    {
        // Make the rename itself durable.
        dir.sync_all()?;
    }
    Ok(())
}

fn mac_with(key: &[u8]) -> Hmac<Sha256> {
    <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"))
}

impl Key {
    /// A sub-key for one purpose: domain separation of every use.
    fn derive(&self, purpose: &[u8]) -> [u8; 32] {
        let mut mac = mac_with(&self.master);
        mac.update(purpose);
        mac.finalize().into_bytes().into()
    }

    fn phone_index(&self, phone: &PhoneNumber) -> String {
        let mut mac = mac_with(&self.derive(b"aiwei/phone-index/v1"));
        mac.update(phone.as_str().as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    fn cipher(&self) -> Aes256Gcm {
        let k = self.derive(b"aiwei/seal/v1");
        Aes256Gcm::new(&k.into())
    }
}

fn aad(id: &str, context: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(id.len() + context.len() + 1);
    v.extend_from_slice(id.as_bytes());
    v.push(0);
    v.extend_from_slice(context);
    v
}

impl Keys {
    fn with_ring(ring: Vec<Key>, path: Option<PathBuf>) -> Self {
        Self {
            ring: Arc::new(RwLock::new(ring)),
            path,
        }
    }

    /// Keys from 32 raw bytes (tests, or an operator-supplied key).
    pub fn from_bytes(master: [u8; 32]) -> Self {
        Self::with_ring(
            vec![Key {
                id: "k1".into(),
                master,
            }],
            None,
        )
    }

    /// Fresh random keys; for tests and throwaway databases.
    pub fn generate() -> Self {
        Self::from_bytes(random_key())
    }

    /// The key ring in `path` if the file exists; else a fresh ring kept in
    /// memory only, never written (for commands that only read, such as
    /// verification, which needs no key).
    pub fn load_if_present(path: &Path) -> Result<Self, StoreError> {
        if path.exists() {
            let ring = parse_ring(&std::fs::read_to_string(path)?, path)?;
            Ok(Self::with_ring(ring, Some(path.to_owned())))
        } else {
            Ok(Self::generate())
        }
    }

    /// Reads the key file at `path`, creating it (mode 0600) when missing.
    pub fn load_or_create(path: &Path) -> Result<Self, StoreError> {
        if !path.exists() {
            write_ring(
                path,
                &[Key {
                    id: "k1".into(),
                    master: random_key(),
                }],
            )?;
        }
        let ring = parse_ring(&std::fs::read_to_string(path)?, path)?;
        Ok(Self::with_ring(ring, Some(path.to_owned())))
    }

    /// Re-reads the key file, so a running server picks up a key another
    /// process added. Keys without a file are left as they are.
    pub fn reload(&self) -> Result<(), StoreError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let ring = parse_ring(&std::fs::read_to_string(path)?, path)?;
        *self.ring.write().map_err(poisoned)? = ring;
        Ok(())
    }

    /// Appends a new key to the file and makes it current; returns its id.
    pub fn add_key(&self) -> Result<String, StoreError> {
        let path = self
            .path
            .as_ref()
            .ok_or_else(|| StoreError::Config("these keys have no key file".into()))?;
        // Start from the file, not from memory: another process may have
        // added a key since this one loaded.
        let mut ring = parse_ring(&std::fs::read_to_string(path)?, path)?;
        let id = (1..)
            .map(|n| format!("k{n}"))
            .find(|id| ring.iter().all(|k| &k.id != id))
            .unwrap_or_else(|| unreachable!("an unused id always exists"));
        ring.push(Key {
            id: id.clone(),
            master: random_key(),
        });
        write_ring(path, &ring)?;
        *self.ring.write().map_err(poisoned)? = ring;
        Ok(id)
    }

    /// The id of the current key.
    pub fn current_id(&self) -> Result<String, StoreError> {
        let ring = self.ring.read().map_err(poisoned)?;
        ring.last()
            .map(|k| k.id.clone())
            .ok_or_else(|| StoreError::Config("empty key ring".into()))
    }

    /// The ids of all keys, oldest first.
    pub fn ids(&self) -> Result<Vec<String>, StoreError> {
        Ok(self
            .ring
            .read()
            .map_err(poisoned)?
            .iter()
            .map(|k| k.id.clone())
            .collect())
    }

    /// The blind index of a phone number under the current key.
    pub fn phone_index(&self, phone: &PhoneNumber) -> Result<String, StoreError> {
        let ring = self.ring.read().map_err(poisoned)?;
        ring.last()
            .map(|k| k.phone_index(phone))
            .ok_or_else(|| StoreError::Config("empty key ring".into()))
    }

    /// The blind index under every key of the ring: rows not yet re-sealed
    /// after a rotation still carry their old key's index.
    pub fn phone_indexes(&self, phone: &PhoneNumber) -> Result<Vec<String>, StoreError> {
        Ok(self
            .ring
            .read()
            .map_err(poisoned)?
            .iter()
            .map(|k| k.phone_index(phone))
            .collect())
    }

    /// Seals `plain` under the current key, bound to `context` (the row it
    /// belongs to). Returns the key id and `nonce || ciphertext`.
    pub fn seal(&self, context: &[u8], plain: &[u8]) -> Result<(String, Vec<u8>), StoreError> {
        let ring = self.ring.read().map_err(poisoned)?;
        let key = ring
            .last()
            .ok_or_else(|| StoreError::Config("empty key ring".into()))?;
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = key
            .cipher()
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: &aad(&key.id, context),
                },
            )
            .map_err(|_| StoreError::Corrupt("sealing failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok((key.id.clone(), out))
    }

    /// Opens what [`Keys::seal`] sealed. An unknown key id reloads the key
    /// file once (another process may have rotated).
    pub fn open(&self, key_id: &str, context: &[u8], sealed: &[u8]) -> Result<Vec<u8>, StoreError> {
        let known = |keys: &Self| -> Result<bool, StoreError> {
            Ok(keys
                .ring
                .read()
                .map_err(poisoned)?
                .iter()
                .any(|k| k.id == key_id))
        };
        if !known(self)? {
            self.reload()?;
            if !known(self)? {
                return Err(StoreError::Config(format!(
                    "data sealed under key {key_id}, which the key file does not hold"
                )));
            }
        }
        let ring = self.ring.read().map_err(poisoned)?;
        let key = ring
            .iter()
            .find(|k| k.id == key_id)
            .ok_or_else(|| StoreError::Corrupt("key vanished".into()))?;
        if sealed.len() < NONCE_LEN {
            return Err(StoreError::Corrupt("sealed value too short".into()));
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        key.cipher()
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: &aad(&key.id, context),
                },
            )
            .map_err(|_| StoreError::Corrupt("a sealed value does not open".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_path() -> (PathBuf, PathBuf) {
        let dir = std::env::temp_dir().join(format!("aiwei-keys-{}", uuid::Uuid::now_v7()));
        let path = dir.join("secret.key");
        (dir, path)
    }

    #[test]
    fn the_key_file_is_created_private_and_reused() {
        let (dir, path) = temp_path();
        let a = Keys::load_or_create(&path).unwrap();
        let b = Keys::load_or_create(&path).unwrap();
        let p = PhoneNumber::parse("p", "13812345678").unwrap();
        assert_eq!(a.phone_index(&p).unwrap(), b.phone_index(&p).unwrap());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_first_format_is_key_k1_and_keeps_its_index() {
        let (dir, path) = temp_path();
        std::fs::create_dir_all(&dir).unwrap();
        let master = [7u8; 32];
        std::fs::write(&path, format!("{}\n", hex::encode(master))).unwrap();
        let loaded = Keys::load_or_create(&path).unwrap();
        let p = PhoneNumber::parse("p", "13812345678").unwrap();
        assert_eq!(loaded.current_id().unwrap(), "k1");
        assert_eq!(
            loaded.phone_index(&p).unwrap(),
            Keys::from_bytes(master).phone_index(&p).unwrap()
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_index_depends_on_the_key_and_hides_the_number() {
        let p = PhoneNumber::parse("p", "138-1234-5678").unwrap();
        let a = Keys::generate().phone_index(&p).unwrap();
        let b = Keys::generate().phone_index(&p).unwrap();
        assert_ne!(a, b);
        assert!(!a.contains("13812345678"));
        assert_eq!(format!("{:?}", Keys::generate()), "Keys(***)");
    }

    #[test]
    fn sealed_values_open_only_in_their_own_row() {
        let keys = Keys::generate();
        let (id, sealed) = keys.seal(b"row-1", "张三 13812345678".as_bytes()).unwrap();
        assert_eq!(id, "k1");
        assert!(!sealed.windows(11).any(|w| w == b"13812345678"));
        assert_eq!(
            keys.open(&id, b"row-1", &sealed).unwrap(),
            "张三 13812345678".as_bytes()
        );
        assert!(keys.open(&id, b"row-2", &sealed).is_err());
        assert!(keys.open("k9", b"row-1", &sealed).is_err());
        let mut tampered = sealed.clone();
        tampered[15] ^= 1;
        assert!(keys.open(&id, b"row-1", &tampered).is_err());
        assert!(Keys::generate().open(&id, b"row-1", &sealed).is_err());
    }

    #[test]
    fn rotation_adds_a_current_key_and_old_values_still_open() {
        let (dir, path) = temp_path();
        let keys = Keys::load_or_create(&path).unwrap();
        let (old_id, old) = keys.seal(b"r", b"secret").unwrap();
        // A second process (the CLI) rotates; the first sees it on reload or
        // when it meets the new id.
        let other = Keys::load_or_create(&path).unwrap();
        let new_id = other.add_key().unwrap();
        assert_eq!(new_id, "k2");
        let (id2, new) = other.seal(b"r", b"secret").unwrap();
        assert_eq!(id2, "k2");
        assert_eq!(keys.open(&id2, b"r", &new).unwrap(), b"secret");
        assert_eq!(keys.current_id().unwrap(), "k2");
        assert_eq!(other.open(&old_id, b"r", &old).unwrap(), b"secret");
        let p = PhoneNumber::parse("p", "13812345678").unwrap();
        assert_eq!(keys.phone_indexes(&p).unwrap().len(), 2);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn malformed_key_files_are_refused() {
        let (dir, path) = temp_path();
        std::fs::create_dir_all(&dir).unwrap();
        for bad in [
            "",
            "zz",
            "k1 00",
            "k1 aa\nk1 bb",
            &format!("k1 {}\n{}", "00".repeat(32), "11".repeat(32)),
        ] {
            std::fs::write(&path, bad).unwrap();
            assert!(Keys::load_or_create(&path).is_err(), "{bad:?}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
