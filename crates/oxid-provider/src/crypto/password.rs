//! User passwords: argon2id with the OWASP-recommended parameters (m = 19456 KiB, t = 2,
//! p = 1), stored as PHC strings.

use super::{CryptoError, Result};
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

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
