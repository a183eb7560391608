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
/// anchor, in canonical PEM; the others are left out.
pub fn usable_roots(pem: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(pem.len());
    for block in blocks(pem).flatten() {
        block.write(&mut out);
    }
    out
}

/// A bundle the user named: every certificate must be usable (the error
/// says which is not), and there must be one. In canonical PEM, so that the
/// SDK's own reading of it cannot fail.
pub fn checked_bundle(pem: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(pem.len());
    for (n, block) in blocks(pem).enumerate() {
        let block = block.map_err(|why| format!("certificate {} cannot be read ({why})", n + 1))?;
        block.write(&mut out);
    }
    if out.is_empty() {
        return Err("it holds no PEM certificate".to_string());
    }
    Ok(out)
}

const BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";
const END: &[u8] = b"-----END CERTIFICATE-----";

/// One usable certificate: the text between the markers, its DER, and
/// whether the text is already canonical.
struct Block<'a> {
    body: &'a [u8],
    der: Vec<u8>,
    canonical: bool,
}

impl Block<'_> {
    /// Canonical PEM: the text as it was when it already is, else written
    /// again.
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(BEGIN);
        if self.canonical {
            out.extend_from_slice(self.body);
        } else {
            for line in STANDARD.encode(&self.der).as_bytes().chunks(64) {
                out.push(b'\n');
                out.extend_from_slice(line);
            }
            out.push(b'\n');
        }
        out.extend_from_slice(END);
        out.push(b'\n');
    }
}

/// The base64 of a body written the usual way (`\n`, lines of 64, a last
/// one of 1 to 64, `\n`), found a line at a time; `None` for any other
/// layout. Whether the characters are base64 is for the decoder to say.
fn canonical_base64(body: &[u8]) -> Option<Vec<u8>> {
    let inner = body.strip_prefix(b"\n")?.strip_suffix(b"\n")?;
    let mut b64 = Vec::with_capacity(inner.len());
    let mut from = 0;
    for nl in memchr::memchr_iter(b'\n', inner).chain([inner.len()]) {
        let line = &inner[from..nl];
        let last = nl == inner.len();
        if !(line.len() == 64 || last && (1..=64).contains(&line.len())) {
            return None;
        }
        b64.extend_from_slice(line);
        from = nl + 1;
    }
    Some(b64)
}

/// Each CERTIFICATE block, decoded and checked as a trust anchor. Decoded
/// with the `base64` crate: rustls-pki-types' decoder is constant-time
/// (meant for keys), about 40 instructions a byte.
fn blocks(pem: &[u8]) -> impl Iterator<Item = Result<Block<'_>, String>> + '_ {
    let mut rest = pem;
    std::iter::from_fn(move || {
        let start = memchr::memmem::find(rest, BEGIN)?;
        let after = &rest[start + BEGIN.len()..];
        let Some(stop) = memchr::memmem::find(after, END) else {
            rest = &[];
            return Some(Err("no END line".to_string()));
        };
        rest = &after[stop + END.len()..];
        let body = &after[..stop];
        let decoded = canonical_base64(body).and_then(|b64| STANDARD.decode(b64).ok());
        let canonical = decoded.is_some();
        let der = match decoded {
            Some(der) => Ok(der),
            None => {
                let b64: Vec<u8> = body
                    .iter()
                    .copied()
                    .filter(|c| !c.is_ascii_whitespace())
                    .collect();
                STANDARD.decode(b64).map_err(|e| format!("not base64: {e}"))
            }
        };
        Some(der.and_then(|der| {
            webpki::anchor_from_trusted_cert(&CertificateDer::from(der.as_slice()))
                .map_err(|e| e.to_string())?;
            Ok(Block {
                body,
                der,
                canonical,
            })
        }))
    })
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
        // The bundle's text is copied as it is (it is canonical); CRLF text
        // and one long line are written again.
        let canon = usable_roots(&pem);
        let body = &canon[BEGIN.len()..memchr::memmem::find(&canon, END).unwrap()];
        assert!(canonical_base64(body).is_some());
        assert!(memchr::memmem::find(&pem, body).is_some());
        let crlf = good.replace('\n', "\r\n");
        assert_eq!(
            parsed(&checked_bundle(crlf.as_bytes()).unwrap()),
            vec![one.clone()]
        );
    }
}
