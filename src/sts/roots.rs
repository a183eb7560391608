//! Trust roots: the system's on Linux, read from its one bundle file, and
//! a CA bundle the user names.
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
/// anchor, written again as canonical PEM; the others are left out.
pub fn usable_roots(pem: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(pem.len());
    for der in blocks(pem).flatten() {
        write_pem(&mut out, &der);
    }
    out
}

/// A bundle the user named: every certificate must be usable (the error
/// says which is not), and there must be one. Written again as canonical
/// PEM, so that the SDK's own reading of it cannot fail.
pub fn checked_bundle(pem: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(pem.len());
    for (n, der) in blocks(pem).enumerate() {
        let der = der.map_err(|why| format!("certificate {} cannot be read ({why})", n + 1))?;
        write_pem(&mut out, &der);
    }
    if out.is_empty() {
        return Err("it holds no PEM certificate".to_string());
    }
    Ok(out)
}

/// The DER of each CERTIFICATE block, checked as a trust anchor. Decoded
/// with the `base64` crate: rustls-pki-types' decoder is constant-time
/// (meant for keys), about 40 instructions a byte.
fn blocks(pem: &[u8]) -> impl Iterator<Item = Result<Vec<u8>, String>> + '_ {
    const BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";
    const END: &[u8] = b"-----END CERTIFICATE-----";
    let mut rest = pem;
    std::iter::from_fn(move || {
        let start = find(rest, BEGIN)?;
        let body = &rest[start + BEGIN.len()..];
        let Some(stop) = find(body, END) else {
            rest = &[];
            return Some(Err("no END line".to_string()));
        };
        rest = &body[stop + END.len()..];
        let b64: Vec<u8> = body[..stop]
            .iter()
            .copied()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        Some(
            STANDARD
                .decode(&b64)
                .map_err(|e| format!("not base64: {e}"))
                .and_then(|der| {
                    webpki::anchor_from_trusted_cert(&CertificateDer::from(der.as_slice()))
                        .map_err(|e| e.to_string())?;
                    Ok(der)
                }),
        )
    })
}

fn write_pem(out: &mut Vec<u8>, der: &[u8]) {
    out.extend_from_slice(b"-----BEGIN CERTIFICATE-----");
    for line in STANDARD.encode(der).as_bytes().chunks(64) {
        out.push(b'\n');
        out.extend_from_slice(line);
    }
    out.extend_from_slice(b"\n-----END CERTIFICATE-----\n");
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
        // A named bundle: the first bad certificate is the error.
        let e = checked_bundle(text.as_bytes()).unwrap_err();
        assert!(
            e.starts_with("certificate 1 cannot be read (not base64"),
            "{e}"
        );
        assert_eq!(
            checked_bundle(b"x").unwrap_err(),
            "it holds no PEM certificate"
        );
        assert_eq!(
            parsed(&checked_bundle(good.as_bytes()).unwrap()),
            vec![one.clone()]
        );
        let crlf = good.replace('\n', "\r\n");
        assert_eq!(
            parsed(&checked_bundle(crlf.as_bytes()).unwrap()),
            vec![one.clone()]
        );
    }
}
