//! PKCE (RFC 7636) pieces: a verifier from OS randomness, its S256
//! challenge, and a random `state`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// A code verifier: 64 characters from the unreserved set (base64url of 48
/// random bytes uses only `[A-Za-z0-9-_]`).
pub fn verifier() -> Result<String, getrandom::Error> {
    random_text(48)
}

/// `state`: 32 random bytes, base64url.
pub fn state() -> Result<String, getrandom::Error> {
    random_text(32)
}

/// BASE64URL(SHA256(verifier)), no padding.
pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn random_text(bytes: usize) -> Result<String, getrandom::Error> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf)?;
    Ok(URL_SAFE_NO_PAD.encode(&buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_example() {
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn verifier_is_64_unreserved_characters_and_random() {
        let v = verifier().unwrap();
        assert_eq!(v.len(), 64);
        assert!(
            v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
        );
        assert_ne!(v, verifier().unwrap());
        assert_ne!(state().unwrap(), state().unwrap());
    }
}
