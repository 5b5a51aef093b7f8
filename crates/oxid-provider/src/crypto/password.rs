//! User passwords: argon2id with one of OWASP's recommended parameter sets (m = 7168 KiB,
//! t = 5, p = 1), stored as PHC strings; a hash made with other parameters still verifies by
//! its own.

use super::{CryptoError, Result};
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::{Arc, OnceLock};
use tokio::sync::Semaphore;

/// Memory cost in KiB of new hashes. The OWASP Password Storage Cheat Sheet lists m = 7 MiB,
/// t = 5 as giving the same defence as its m = 19 MiB, t = 2 (Oxid's earlier default), trading
/// memory for CPU: every hash running at once holds a block of this size, so it sets the peak
/// RSS after a burst of logins, while the CPU per hash is about the same (7 x 5 against 19 x 2
/// MiB passes).
pub const MEMORY_KIB: u32 = 7_168;
/// Iterations.
pub const ITERATIONS: u32 = 5;
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

/// Whether `phc` was made with other parameters than [`hash_password`] uses now (an earlier
/// default, or another Argon2 variant): after a successful login it is replaced by a new hash
/// of the same password. False on a malformed PHC string (it never verifies anyway).
pub fn needs_rehash(phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let current = (MEMORY_KIB, ITERATIONS, PARALLELISM);
    parsed.algorithm != Algorithm::Argon2id.ident()
        || parsed.version != Some(Version::V0x13.into())
        || Params::try_from(&parsed)
            .map_or(true, |p| (p.m_cost(), p.t_cost(), p.p_cost()) != current)
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

/// At most one argon2id computation per core at once: each takes a block of its memory cost
/// (`MEMORY_KIB` for new hashes) and tens of milliseconds, and without a bound a burst of
/// logins would fill tokio's blocking pool.
fn hashing_permits() -> &'static Arc<Semaphore> {
    static PERMITS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Arc::new(Semaphore::new(cores))
    })
}

/// Runs `work` on the blocking pool under [`hashing_permits`], so argon2id never runs on the
/// async workers (which would stall every other request). `None` if the task panicked.
async fn off_the_workers<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    under_permit(hashing_permits(), work).await
}

/// Runs `work` on the blocking pool with a permit of `permits`, held by the blocking task
/// itself: a caller that gives up (a client gone mid-login) cannot free it while the hash
/// still runs, so no more hashes, and their memory, run at once than there are permits.
async fn under_permit<T: Send + 'static>(
    permits: &Arc<Semaphore>,
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let permit = permits.clone().acquire_owned().await.ok()?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        work()
    })
    .await
    .ok()
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
        assert!(phc.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "{phc}");
        assert!(!needs_rehash(&phc));
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
    fn hashes_of_the_earlier_default_still_verify_and_need_a_rehash() {
        // m = 19 MiB, t = 2: Oxid's default before the 7 MiB, t = 5 one.
        let params = Params::new(19_456, 2, 1, None).unwrap();
        let old = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let salt = SaltString::encode_b64(b"sixteen byte sal").unwrap();
        let phc = old.hash_password(b"pw", &salt).unwrap().to_string();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_password("pw", &phc));
        assert!(!verify_password("wrong", &phc));
        assert!(needs_rehash(&phc));
        // Another variant needs one too; a malformed string is left alone.
        let argon2i = Argon2::new(Algorithm::Argon2i, Version::V0x13, Params::default());
        let phc = argon2i.hash_password(b"pw", &salt).unwrap().to_string();
        assert!(needs_rehash(&phc));
        assert!(!needs_rehash("plain"));
    }

    #[tokio::test]
    async fn a_caller_that_gives_up_leaves_the_permit_held_until_the_work_ends() {
        let permits = Arc::new(Semaphore::new(1));
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let (done_tx, done) = std::sync::mpsc::channel::<()>();
        let caller = under_permit(&permits, move || {
            let _ = wait.recv();
            let _ = done_tx.send(());
        });
        // The caller gives up while the work runs.
        let gave_up = tokio::time::timeout(std::time::Duration::from_millis(50), caller).await;
        assert!(gave_up.is_err());
        assert_eq!(permits.available_permits(), 0);
        release.send(()).unwrap();
        done.recv().unwrap();
        // Freed once the blocking task has returned.
        let _permit = tokio::time::timeout(std::time::Duration::from_secs(10), permits.acquire())
            .await
            .expect("the permit comes back when the work ends");
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
