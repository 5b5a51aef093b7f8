//! Opaque secrets: random tokens and ids, SHA-256 lookup hashes, constant-time comparison,
//! and [`SecretBox`], AES-256-GCM encryption at rest (used for signing keys in the store).

use super::{CryptoError, Result};
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::{constant_time, digest, hmac, rand};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::fmt;
use std::io::{self, Read as _, Write as _};
use std::path::Path;

/// Fills `buf` from the system CSPRNG (AWS-LC's `RAND_bytes`).
///
/// AWS-LC aborts the process itself when its entropy source fails, so the error branch is
/// unreachable in practice; should it ever be reached, continuing with predictable
/// "random" bytes would be worse than stopping, so we abort too (no panic, no unwinding).
pub(crate) fn fill_random(buf: &mut [u8]) {
    if rand::fill(buf).is_err() {
        tracing::error!("the system random number generator failed; aborting");
        std::process::abort();
    }
}

/// A 256-bit random value, base64url without padding (43 characters): the form of every
/// opaque token, code, session cookie and client secret.
pub fn random_token() -> String {
    random_id(32)
}

/// `bytes` random bytes, base64url without padding.
///
/// The bytes come from the thread's ChaCha12 generator (rand's `ThreadRng`), seeded from the
/// OS and reseeded after every 64 KiB it gives: a CSPRNG, as tokens need, at a fraction of
/// `RAND_bytes`'s cost per call (three calls per token request). Oxid never forks, the one
/// case where it would repeat itself. Key material and nonces keep [`fill_random`].
pub fn random_id(bytes: usize) -> String {
    use ::rand::Rng as _;
    let mut stack = [0u8; 32];
    let mut heap = Vec::new();
    let buf = match stack.get_mut(..bytes) {
        Some(buf) => buf,
        None => {
            heap.resize(bytes, 0);
            heap.as_mut_slice()
        }
    };
    ::rand::rng().fill_bytes(buf);
    let out = URL_SAFE_NO_PAD.encode(&*buf);
    buf.fill(0);
    out
}

/// A new grant's id: the time in milliseconds (12 hex digits), then 96 random bits
/// (base64url). Grants made later sort later, so the tokens of new grants go at the end of
/// the store's grant index, onto the page the last ones dirtied, instead of each onto a random
/// page of it (issue 14: index pages per token, a WAL frame and a page copy each).
pub fn new_grant_id() -> String {
    let mut id = millis_hex();
    id.push_str(&random_id(12));
    id
}

/// The time in milliseconds since 1970 as 12 lowercase hex digits: sorts as it was made
/// (grant ids here, tokens and their keys in `token_keys`).
pub(super) fn millis_hex() -> String {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    format!("{millis:012x}")
}

/// SHA-256 of `value` as lowercase hex: what the store keeps instead of an opaque secret.
pub fn sha256_hex(value: &str) -> String {
    // Hex digits are ASCII, each its own char (no UTF-8 decoding of the text: issue 14).
    sha256_hex_bytes(value)
        .into_iter()
        .map(char::from)
        .collect()
}

/// [`sha256_hex`] without a `String`: for comparing with a stored hash (a client's secret on
/// every token request) with no allocation.
pub fn sha256_hex_bytes(value: &str) -> [u8; 64] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let hash = digest::digest(&digest::SHA256, value.as_bytes());
    let mut out = [0u8; 64];
    // Two stores per byte: `copy_from_slice` of a 2-byte pair was a `memcpy` call each
    // (64 per request at introspection, ~1,300 instructions; bench/README.md, branch `intro`).
    for (pair, &byte) in out.chunks_exact_mut(2).zip(hash.as_ref()) {
        pair[0] = HEX[usize::from(byte >> 4)];
        pair[1] = HEX[usize::from(byte & 0x0f)];
    }
    out
}

/// Compares two byte strings in time independent of their contents (not of their lengths).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    constant_time::verify_slices_are_equal(a, b).is_ok()
}

/// Symmetric encryption at rest: AES-256-GCM with a random 96-bit nonce prepended to each
/// ciphertext. `Debug` never shows the key.
pub struct SecretBox {
    key: LessSafeKey,
    /// An HMAC-SHA256 key derived from the same secret (never the AES key itself), for values
    /// every instance must compute alike, such as DPoP nonces.
    mac: hmac::Key,
}

impl SecretBox {
    /// A box around this 256-bit key.
    pub fn new(key: [u8; 32]) -> SecretBox {
        // AES-256 accepts every 32-byte key, so this cannot fail; the match keeps it panic-free.
        match UnboundKey::new(&AES_256_GCM, &key) {
            Ok(unbound) => {
                let derived = hmac::sign(
                    &hmac::Key::new(hmac::HMAC_SHA256, &key),
                    b"oxid/derived-mac-key",
                );
                SecretBox {
                    key: LessSafeKey::new(unbound),
                    mac: hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref()),
                }
            }
            Err(_) => {
                tracing::error!("AES-256-GCM rejected a 32-byte key; aborting");
                std::process::abort()
            }
        }
    }

    /// Reads a raw 32-byte key from `path`, or creates the file with a fresh random key and
    /// mode 0600 when it does not exist. A file of any other length is an `InvalidData` error.
    pub fn load_or_create(path: &Path) -> io::Result<SecretBox> {
        match read_key_file(path) {
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            other => return other.map(SecretBox::new),
        }
        let mut key = [0u8; 32];
        fill_random(&mut key);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        match options.open(path) {
            Ok(mut file) => {
                file.write_all(&key)?;
                file.sync_all()?;
                Ok(SecretBox::new(key))
            }
            // Another process created it between our read and our create: use theirs.
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
                read_key_file(path).map(SecretBox::new)
            }
            Err(err) => Err(err),
        }
    }

    /// HMAC-SHA256 of `message` under the derived MAC key: the same on every instance that
    /// shares the secret key. Give each purpose its own prefix in `message`.
    pub fn mac(&self, message: &[u8]) -> Vec<u8> {
        hmac::sign(&self.mac, message).as_ref().to_vec()
    }

    /// Encrypts `plaintext`; the result is `nonce (12 bytes) || ciphertext || tag (16 bytes)`.
    /// Same as [`SecretBox::encrypt_for`] with an empty context.
    pub fn encrypt(&self, plaintext: &[u8]) -> Result<Vec<u8>> {
        self.encrypt_for(b"", plaintext)
    }

    /// Decrypts what [`SecretBox::encrypt`] produced; `Decrypt` on a wrong key or any change.
    pub fn decrypt(&self, sealed: &[u8]) -> Result<Vec<u8>> {
        self.decrypt_for(b"", sealed)
    }

    /// Encrypts `plaintext` bound to `context` (authenticated, not stored): it decrypts only
    /// with the same context. Use a distinct context per purpose (`b"oxid/interaction"`), so
    /// that a ciphertext made for one purpose is never accepted for another.
    pub fn encrypt_for(&self, context: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut nonce);
        let mut out = Vec::with_capacity(NONCE_LEN + plaintext.len() + AES_256_GCM.tag_len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plaintext);
        let tag = self
            .key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context),
                out.get_mut(NONCE_LEN..).unwrap_or_default(),
            )
            .map_err(|_| CryptoError::Operation("AES-256-GCM seal"))?;
        out.extend_from_slice(tag.as_ref());
        Ok(out)
    }

    /// Decrypts what [`SecretBox::encrypt_for`] produced with the same `context`.
    pub fn decrypt_for(&self, context: &[u8], sealed: &[u8]) -> Result<Vec<u8>> {
        if sealed.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return Err(CryptoError::Decrypt);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::Decrypt)?;
        let mut body = body.to_vec();
        let plain_len = self
            .key
            .open_in_place(nonce, Aad::from(context), &mut body)
            .map_err(|_| CryptoError::Decrypt)?
            .len();
        body.truncate(plain_len);
        Ok(body)
    }
}

impl fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBox(<redacted>)")
    }
}

fn read_key_file(path: &Path) -> io::Result<[u8; 32]> {
    let file = std::fs::File::open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = file.metadata()?.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(path = %path.display(), mode = format!("{:o}", mode & 0o777),
                "the encryption key file is readable by group or others; chmod 600 it");
        }
    }
    let mut bytes = Vec::with_capacity(33);
    file.take(33).read_to_end(&mut bytes)?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} must hold exactly 32 bytes", path.display()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_token_is_256_bits_base64url_without_padding() {
        let a = random_token();
        let b = random_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        let decoded = URL_SAFE_NO_PAD.decode(&a).unwrap();
        assert_eq!(decoded.len(), 32);
        assert_eq!(random_id(16).len(), 22);
        // Beyond the stack buffer too, and no two alike.
        assert_eq!(URL_SAFE_NO_PAD.decode(random_id(48)).unwrap().len(), 48);
        let ids: std::collections::HashSet<String> = (0..1000).map(|_| random_id(16)).collect();
        assert_eq!(ids.len(), 1000);
    }

    #[test]
    fn grant_ids_sort_in_the_order_they_were_made_and_differ() {
        let first = new_grant_id();
        let same_millisecond = new_grant_id();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let later = new_grant_id();
        assert_eq!(first.len(), 28);
        assert_ne!(first, same_millisecond);
        assert!(first < later && same_millisecond < later, "{first} {later}");
        assert!(
            first
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
    }

    #[test]
    fn sha256_hex_matches_the_fips_180_test_vector() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(sha256_hex_bytes("abc"), sha256_hex("abc").as_bytes());
    }

    #[test]
    fn constant_time_eq_compares_contents_and_lengths() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret!"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn secret_box_round_trips_and_rejects_tampering_and_wrong_keys() {
        let sbox = SecretBox::new([7u8; 32]);
        let sealed = sbox.encrypt(b"private key").unwrap();
        assert_eq!(sealed.len(), 12 + 11 + 16);
        assert_eq!(sbox.decrypt(&sealed).unwrap(), b"private key");
        // Fresh nonce every time.
        assert_ne!(sbox.encrypt(b"private key").unwrap(), sealed);

        let mut tampered = sealed.clone();
        tampered[15] ^= 1;
        assert!(matches!(sbox.decrypt(&tampered), Err(CryptoError::Decrypt)));
        assert!(matches!(
            SecretBox::new([8u8; 32]).decrypt(&sealed),
            Err(CryptoError::Decrypt)
        ));
        assert!(matches!(
            sbox.decrypt(&sealed[..20]),
            Err(CryptoError::Decrypt)
        ));
        assert_eq!(sbox.decrypt(&sbox.encrypt(b"").unwrap()).unwrap(), b"");
    }

    #[test]
    fn a_ciphertext_opens_only_in_its_own_context() {
        let sbox = SecretBox::new([7u8; 32]);
        let sealed = sbox.encrypt_for(b"oxid/a", b"data").unwrap();
        assert_eq!(sbox.decrypt_for(b"oxid/a", &sealed).unwrap(), b"data");
        assert!(sbox.decrypt_for(b"oxid/b", &sealed).is_err());
        assert!(sbox.decrypt(&sealed).is_err());
        assert!(
            sbox.decrypt_for(b"oxid/a", &sbox.encrypt(b"data").unwrap())
                .is_err()
        );
    }

    #[test]
    fn secret_box_debug_is_redacted() {
        assert_eq!(
            format!("{:?}", SecretBox::new([1u8; 32])),
            "SecretBox(<redacted>)"
        );
    }

    #[test]
    fn load_or_create_makes_a_0600_key_file_once_and_reads_it_back() {
        let dir = std::env::temp_dir().join(format!("oxid-secretbox-{}", random_id(8)));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("key");
        let first = SecretBox::load_or_create(&path).unwrap();
        let sealed = first.encrypt(b"hello").unwrap();
        let second = SecretBox::load_or_create(&path).unwrap();
        assert_eq!(second.decrypt(&sealed).unwrap(), b"hello");
        assert_eq!(std::fs::read(&path).unwrap().len(), 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, b"short").unwrap();
        let err = SecretBox::load_or_create(&path).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
