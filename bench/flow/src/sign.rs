//! `oxid-bench-flow sign ALG SECONDS`: the raw aws-lc-rs signing rate of one algorithm on one
//! thread, the ceiling of a JWT row (bench/run measures it on the servers' core in the same
//! run). A key is made once; each signature covers a JWT access token's signing input (a
//! base64url header and claims of RFC 9068's size), as the servers sign.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, RSA_PKCS1_SHA256, RsaKeyPair,
};
use std::time::{Duration, Instant};

/// A typical RFC 9068 access token's signing input: header and claims, base64url (about 330
/// bytes).
const INPUT: &[u8] = b"eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6ImVjLTM2MTA0MmUxIn0.\
eyJqdGkiOiJQbW85Q21NZG1aUFBZYzhJNXR5TlpoX1dlWGt2TU9razV3ZmphX0lxMVdZIiwic3ViIjoiYmVuY2giLCJpYX\
QiOjE3OTU4OTA4OTIsImV4cCI6MTc5NTg5NDQ5Miwic2NvcGUiOiJyZWFkOnJlY29yZHMiLCJjbGllbnRfaWQiOiJiZW5j\
aCIsImlzcyI6Imh0dHA6Ly8xMjcuMC4wLjE6MTg5OTkiLCJhdWQiOiJodHRwczovL2JlbmNoLmV4YW1wbGUvZXMyNTYifQ";

/// Prints `SIGN alg=ALG rate=N` (signatures per second).
pub fn run(alg: &str, seconds: u64) -> Result<(), String> {
    let failed = |e: &dyn std::fmt::Display| format!("{alg}: {e}");
    let rng = SystemRandom::new();
    let mut sign: Box<dyn FnMut() -> Result<usize, String>> = match alg {
        "RS256" => {
            let key = RsaKeyPair::generate(KeySize::Rsa2048).map_err(|e| failed(&e))?;
            let mut out = vec![0; key.public_modulus_len()];
            Box::new(move || {
                key.sign(&RSA_PKCS1_SHA256, &rng, INPUT, &mut out)
                    .map_err(|e| failed(&e))?;
                Ok(out.len())
            })
        }
        "ES256" => {
            let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
                .map_err(|e| failed(&e))?;
            Box::new(move || {
                let sig = key.sign(&rng, INPUT).map_err(|e| failed(&e))?;
                Ok(sig.as_ref().len())
            })
        }
        "EdDSA" => {
            let key = Ed25519KeyPair::generate().map_err(|e| failed(&e))?;
            Box::new(move || Ok(key.sign(INPUT).as_ref().len()))
        }
        other => return Err(format!("unknown alg {other} (RS256, ES256 or EdDSA)")),
    };
    // A short warm-up, then count signatures for `seconds`.
    let warm = Instant::now();
    while warm.elapsed() < Duration::from_millis(200) {
        sign()?;
    }
    let started = Instant::now();
    let until = Duration::from_secs(seconds.max(1));
    let mut count = 0u64;
    let mut bytes = 0usize;
    while started.elapsed() < until {
        bytes += sign()?;
        count += 1;
    }
    let rate = count as f64 / started.elapsed().as_secs_f64();
    println!("SIGN alg={alg} rate={rate:.0} signatures={count} signature_bytes={bytes}");
    Ok(())
}
