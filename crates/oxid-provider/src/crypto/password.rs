//! User passwords: argon2id with the OWASP-recommended parameters (m = 19456 KiB, t = 2,
//! p = 1), stored as PHC strings.

use super::{CryptoError, Result};
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::OnceLock;
use tokio::sync::Semaphore;

/// Memory cost in KiB (OWASP Password Storage Cheat Sheet, argon2id first option).
pub const MEMORY_KIB: u32 = 19_456;
/// Iterations.
pub const ITERATIONS: u32 = 2;
/// Parallelism.
pub const PARALLELISM: u32 = 1;

fn hasher() -> Result<Argon2<'static>> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .map_err(|err| CryptoError::Password(err.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes `password` with a fresh 128-bit salt into a PHC string (`$argon2id$v=19$...`).
pub fn hash_password(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    super::secrets::fill_random(&mut salt);
    let salt =
        SaltString::encode_b64(&salt).map_err(|err| CryptoError::Password(err.to_string()))?;
    hasher()?
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| CryptoError::Password(err.to_string()))
}

/// Whether `password` matches the PHC string `phc`, with the parameters recorded in it.
/// False on a malformed PHC string; never panics.
pub fn verify_password(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// Costs what [`verify_password`] costs on a hash from [`hash_password`], and always fails.
/// Call it when the username does not exist, so that response time does not tell which
/// usernames are registered.
pub fn dummy_verify(password: &str) -> bool {
    const DUMMY_SALT: &[u8; 16] = b"oxid-dummy-salt!";
    let mut out = [0u8; 32];
    if let Ok(argon) = hasher() {
        let _ = argon.hash_password_into(password.as_bytes(), DUMMY_SALT, &mut out);
    }
    std::hint::black_box(&out);
    false
}

/// At most one argon2id computation per core at once: each takes ~19 MiB and tens of
/// milliseconds, and without a bound a burst of logins would fill tokio's blocking pool.
fn hashing_permits() -> &'static Semaphore {
    static PERMITS: OnceLock<Semaphore> = OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Semaphore::new(cores)
    })
}

/// Runs `work` on the blocking pool under [`hashing_permits`], so argon2id never runs on the
/// async workers (which would stall every other request). `None` if the task panicked.
async fn off_the_workers<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let _permit = hashing_permits().acquire().await.ok()?;
    tokio::task::spawn_blocking(work).await.ok()
}

/// [`hash_password`] on the bounded blocking pool.
pub async fn hash_password_pooled(password: &str) -> Result<String> {
    let password = password.to_string();
    off_the_workers(move || hash_password(&password))
        .await
        .unwrap_or_else(|| Err(CryptoError::Password("hashing task failed".into())))
}

/// [`verify_password`] on the bounded blocking pool.
pub async fn verify_password_pooled(password: &str, phc: &str) -> bool {
    let (password, phc) = (password.to_string(), phc.to_string());
    off_the_workers(move || verify_password(&password, &phc))
        .await
        .unwrap_or(false)
}

/// [`dummy_verify`] on the bounded blocking pool.
pub async fn dummy_verify_pooled(password: &str) -> bool {
    let password = password.to_string();
    off_the_workers(move || dummy_verify(&password))
        .await
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn hash_is_argon2id_with_owasp_parameters_and_verifies() {
        let phc = hash_password("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_password("correct horse", &phc));
        assert!(!verify_password("correct horsE", &phc));
        // Salted: the same password hashes differently.
        assert_ne!(phc, hash_password("correct horse").unwrap());
    }

    #[tokio::test]
    async fn pooled_functions_agree_with_the_direct_ones() {
        let phc = hash_password_pooled("pw").await.unwrap();
        assert!(verify_password_pooled("pw", &phc).await);
        assert!(!verify_password_pooled("wrong", &phc).await);
        assert!(!dummy_verify_pooled("pw").await);
    }

    #[test]
    fn verify_is_false_on_malformed_phc_strings() {
        for phc in [
            "",
            "plain",
            "$argon2id$",
            "$argon2id$v=19$m=x,t=2,p=1$abc$def",
            "$md5$x$y",
        ] {
            assert!(!verify_password("pw", phc), "{phc}");
        }
    }

    #[test]
    fn dummy_verify_fails_and_costs_about_as_much_as_a_real_verify() {
        let phc = hash_password("pw").unwrap();
        // Best of three each, to be robust against a busy machine.
        let time = |f: &dyn Fn() -> bool| {
            (0..3)
                .map(|_| {
                    let start = Instant::now();
                    assert!(!f());
                    start.elapsed()
                })
                .min()
                .unwrap()
        };
        let real = time(&|| verify_password("wrong", &phc));
        let dummy = time(&|| dummy_verify("wrong"));
        // Same parameters, same work.
        assert!(
            dummy * 3 > real && real * 3 > dummy,
            "real {real:?} dummy {dummy:?}"
        );
    }
}
