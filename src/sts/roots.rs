//! The system's trust roots on Linux, read from its one bundle file.
//!
//! The SDK's default (rustls-native-certs) reads both the bundle file and
//! every file of /etc/ssl/certs, the same roots twice, each through a slow
//! constant-time PEM decoder: 84% of a cold one-hop `env`'s instructions
//! (docs/performance.md). The bundle file alone is what OpenSSL, curl and
//! Debian's AWS CLI trust. Roots that webpki cannot use are left out, as
//! the SDK's own loader does; the rest go to the SDK as plain PEM, since
//! it panics on a certificate it cannot parse.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rustls_pki_types::CertificateDer;

/// Where distributions keep the bundle (openssl-probe's list, in its order).
const BUNDLES: [&str; 6] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
    "/etc/pki/tls/cacert.pem",
];

/// The usable roots of the system bundle, as PEM; `None` where the SDK's
/// own loading must decide: `SSL_CERT_FILE` or `SSL_CERT_DIR` set (it
/// honours them), no bundle file, or no usable root in it.
pub fn system_bundle(getenv: crate::Getenv) -> Option<Vec<u8>> {
    if !cfg!(target_os = "linux")
        || getenv("SSL_CERT_FILE").is_some()
        || getenv("SSL_CERT_DIR").is_some()
    {
        return None;
    }
    let pem = BUNDLES.iter().find_map(|p| std::fs::read(p).ok())?;
    let roots = usable_roots(&pem);
    (!roots.is_empty()).then_some(roots)
}

/// Each CERTIFICATE block that decodes and that webpki accepts as a trust
/// anchor, written again as canonical PEM.
pub fn usable_roots(pem: &[u8]) -> Vec<u8> {
    const BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";
    const END: &[u8] = b"-----END CERTIFICATE-----";
    let mut out = Vec::with_capacity(pem.len());
    let mut rest = pem;
    while let Some(start) = find(rest, BEGIN) {
        let body = &rest[start + BEGIN.len()..];
        let Some(stop) = find(body, END) else { break };
        rest = &body[stop + END.len()..];
        let b64: Vec<u8> = body[..stop]
            .iter()
            .copied()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        let Ok(der) = STANDARD.decode(&b64) else {
            continue;
        };
        if webpki::anchor_from_trusted_cert(&CertificateDer::from(der.as_slice())).is_err() {
            continue;
        }
        out.extend_from_slice(BEGIN);
        for line in STANDARD.encode(&der).as_bytes().chunks(64) {
            out.push(b'\n');
            out.extend_from_slice(line);
        }
        out.push(b'\n');
        out.extend_from_slice(END);
        out.push(b'\n');
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

// The tests read the machine's bundle, which only Linux has.
#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use rustls_pki_types::pem::PemObject;

    fn parsed(pem: &[u8]) -> Vec<Vec<u8>> {
        CertificateDer::pem_slice_iter(pem)
            .map(|c| c.expect("valid PEM").to_vec())
            .collect()
    }

    #[test]
    fn the_system_bundle_reads_as_the_sdk_reads_it() {
        let Some(path) = BUNDLES.iter().find(|p| std::path::Path::new(p).exists()) else {
            panic!("no CA bundle on this machine: {BUNDLES:?}");
        };
        let pem = std::fs::read(path).unwrap();
        let all = parsed(&pem);
        let usable = usable_roots(&pem);
        // The SDK's decoder reads back exactly the certificates found here,
        // and every one is a usable anchor: nothing for the SDK to panic on.
        let back = parsed(&usable);
        assert!(back.len() > 50, "{} roots from {path}", back.len());
        for der in &back {
            assert!(all.contains(der));
            webpki::anchor_from_trusted_cert(&CertificateDer::from(der.as_slice())).unwrap();
        }
        let dropped = all.len() - back.len();
        assert!(dropped <= 2, "{dropped} of {} roots dropped", all.len());
    }

    #[test]
    fn unusable_blocks_are_left_out() {
        let pem = std::fs::read(BUNDLES[0]).unwrap();
        let one = &parsed(&usable_roots(&pem))[0];
        let good = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            STANDARD.encode(one)
        );
        let text = format!(
            "junk\n-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n\
             -----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n{good}\
             -----BEGIN CERTIFICATE-----\nAAAA"
        );
        assert_eq!(parsed(&usable_roots(text.as_bytes())), vec![one.clone()]);
        assert!(usable_roots(b"no certificates").is_empty());
    }
}
