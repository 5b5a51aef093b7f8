//! Signatures per second on one thread: `sign_compact` (header + claims serialization,
//! base64url, signature) against the raw aws-lc-rs signing rate of the same key.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, RSA_PKCS1_SHA256,
    RSA_PSS_SHA256, RsaKeyPair,
};
use oxid_provider::crypto::jws::{SigningAlg, SigningKey, left_half_hash, sign_compact};
use std::hint::black_box;
use std::time::{Duration, Instant};

const ROUNDS: u32 = 6;

/// Runs `f` repeatedly for about `budget` and returns calls per second.
fn rate(budget: Duration, mut f: impl FnMut()) -> f64 {
    for _ in 0..20 {
        f();
    }
    let start = Instant::now();
    let mut calls = 0u64;
    while start.elapsed() < budget {
        for _ in 0..10 {
            f();
        }
        calls += 10;
    }
    calls as f64 / start.elapsed().as_secs_f64()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secs: u64 = std::env::args().nth(1).map_or(Ok(3), |s| s.parse())?;
    let budget = Duration::from_secs(secs);
    println!(
        "{:<6} {:>16} {:>16} {:>7} {:>10}",
        "alg", "sign_compact/s", "raw aws-lc-rs/s", "ratio", "JWS bytes"
    );
    for alg in SigningAlg::ASYMMETRIC {
        let key = SigningKey::generate(alg)?;
        let der = key.pkcs8_der()?;
        // A realistic ID token (OIDC Core §2, §3.1.3.6, §5.1).
        let claims = serde_json::json!({
            "iss": "https://login.example.com",
            "sub": "2f9b3c6e-0d1a-4a7e-9c55-8b1f0e2d7a44",
            "aud": "s6BhdRkqt3",
            "exp": 1_800_003_600u64,
            "iat": 1_800_000_000u64,
            "auth_time": 1_799_999_950u64,
            "nonce": "n-0S6_WzA2Mj",
            "acr": "urn:mace:incommon:iap:silver",
            "amr": ["pwd"],
            "azp": "s6BhdRkqt3",
            "sid": "08a5019c-17e1-4977-8f42-65a12843ea02",
            "at_hash": left_half_hash(alg, "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "name": "Jane Doe",
            "email": "janedoe@example.com",
            "email_verified": true,
        });
        let jws = sign_compact(&key, Some("JWT"), &claims)?;
        let (input, _) = jws.rsplit_once('.').ok_or("no signature")?;
        let input = input.as_bytes().to_vec();

        let mut ours = || {
            black_box(sign_compact(&key, Some("JWT"), black_box(&claims)).ok());
        };
        let rng = SystemRandom::new();
        let mut raw: Box<dyn FnMut()> = match alg {
            SigningAlg::RS256 | SigningAlg::PS256 => {
                let pair = RsaKeyPair::from_pkcs8(&der)?;
                let padding: &'static dyn aws_lc_rs::signature::RsaEncoding =
                    if alg == SigningAlg::PS256 {
                        &RSA_PSS_SHA256
                    } else {
                        &RSA_PKCS1_SHA256
                    };
                let mut sig = vec![0u8; pair.public_modulus_len()];
                let input = &input;
                let rng = &rng;
                Box::new(move || {
                    black_box(pair.sign(padding, rng, black_box(input), &mut sig).ok());
                })
            }
            SigningAlg::ES256 => {
                let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der)?;
                let (input, rng) = (&input, &rng);
                Box::new(move || {
                    black_box(pair.sign(rng, black_box(input)).ok());
                })
            }
            // EdDSA: HS256 has no key pair, so it is not in ASYMMETRIC.
            _ => {
                let pair = Ed25519KeyPair::from_pkcs8(&der)?;
                let input = &input;
                Box::new(move || {
                    black_box(pair.sign(black_box(input)));
                })
            }
        };
        // Interleaved rounds, best of each: robust against other load on the machine.
        let (mut best_ours, mut best_raw) = (0f64, 0f64);
        for _ in 0..ROUNDS {
            best_ours = best_ours.max(rate(budget / ROUNDS, &mut ours));
            best_raw = best_raw.max(rate(budget / ROUNDS, &mut raw));
        }
        let (ours, raw) = (best_ours, best_raw);
        println!(
            "{:<6} {:>16.0} {:>16.0} {:>7.3} {:>10}",
            alg.as_str(),
            ours,
            raw,
            ours / raw,
            jws.len()
        );
    }
    Ok(())
}
