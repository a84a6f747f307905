//! The secret key material of an installation.
//!
//! A key file is created on first run with mode 0600 in the data directory
//! (or given by the operator). Today it yields the key of the phone-number
//! index: a keyed hash (HMAC-SHA256) of the normalised number that finds a
//! caller's earlier matters without the number itself being searchable.

use std::fmt;
use std::io::Write;
use std::path::Path;

use aiwei_core::PhoneNumber;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::error::StoreError;

/// The installation's keys. `Debug` never prints them.
#[derive(Clone)]
pub struct Keys {
    master: [u8; 32],
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Keys(***)")
    }
}

impl Keys {
    /// Keys from 32 raw bytes (tests, or an operator-supplied key).
    pub fn from_bytes(master: [u8; 32]) -> Self {
        Self { master }
    }

    /// Fresh random keys; for tests and throwaway databases.
    pub fn generate() -> Self {
        let mut master = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut master);
        Self { master }
    }

    /// Reads the key file at `path`, creating it (mode 0600) when missing.
    /// The file holds 64 hex digits and a newline.
    pub fn load_or_create(path: &Path) -> Result<Self, StoreError> {
        if path.exists() {
            let text = std::fs::read_to_string(path)?;
            let bytes = hex::decode(text.trim()).map_err(|_| {
                StoreError::Config(format!("key file {} is not hex", path.display()))
            })?;
            let master: [u8; 32] = bytes.try_into().map_err(|_| {
                StoreError::Config(format!("key file {} must hold 32 bytes", path.display()))
            })?;
            return Ok(Self { master });
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        let keys = Self::generate();
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(path)?;
        writeln!(f, "{}", hex::encode(keys.master))?;
        f.sync_all()?;
        Ok(keys)
    }

    fn derive(&self, purpose: &[u8]) -> Hmac<Sha256> {
        // Domain-separate every use of the master key.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.master)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(purpose);
        let sub = mac.finalize().into_bytes();
        <Hmac<Sha256> as Mac>::new_from_slice(&sub)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"))
    }

    /// The blind index of a phone number.
    pub fn phone_index(&self, phone: &PhoneNumber) -> String {
        let mut mac = self.derive(b"aiwei/phone-index/v1");
        mac.update(phone.as_str().as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_file_is_created_private_and_reused() {
        let dir = std::env::temp_dir().join(format!("aiwei-keys-{}", uuid::Uuid::now_v7()));
        let path = dir.join("secret.key");
        let a = Keys::load_or_create(&path).unwrap();
        let b = Keys::load_or_create(&path).unwrap();
        let p = PhoneNumber::parse("p", "13812345678").unwrap();
        assert_eq!(a.phone_index(&p), b.phone_index(&p));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_index_depends_on_the_key_and_hides_the_number() {
        let p = PhoneNumber::parse("p", "138-1234-5678").unwrap();
        let a = Keys::generate().phone_index(&p);
        let b = Keys::generate().phone_index(&p);
        assert_ne!(a, b);
        assert!(!a.contains("13812345678"));
        assert_eq!(format!("{:?}", Keys::generate()), "Keys(***)");
    }
}
