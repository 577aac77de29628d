//! TLS for the TCP listener (rustls with the ring provider): the certificate chain and key
//! from PEM files, reloaded with the config; a self-signed pair for quick starts; and the
//! SHA-256 fingerprint clients pin when no CA vouches for the certificate.

use anyhow::{Context, Result, bail};
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `[tls]` in the config: where the certificate chain and its key live.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The provider every TLS config here uses.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A certificate's SHA-256 fingerprint, as `AB:CD:…` (what `openssl x509 -fingerprint
/// -sha256` prints).
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Reads the chain and key and builds the server side; every failure names the file.
pub fn load(files: &TlsFiles) -> Result<(Arc<ServerConfig>, String)> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .with_context(|| format!("reading the certificate {}", files.cert.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("reading the certificate {}", files.cert.display()))?;
    let Some(leaf) = chain.first() else {
        bail!("{} holds no certificate", files.cert.display());
    };
    let print = fingerprint(leaf);
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .with_context(|| format!("reading the key {}", files.key.display()))?;
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .context("choosing TLS versions")?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .with_context(|| {
            format!(
                "{} and {} do not make a certificate and its key",
                files.cert.display(),
                files.key.display()
            )
        })?;
    Ok((Arc::new(config), print))
}

/// A self-signed certificate for `hosts` (names or IP addresses): the PEM chain, the PEM key
/// and the fingerprint clients pin.
pub fn self_signed(hosts: &[String]) -> Result<(String, String, String)> {
    if hosts.is_empty() {
        bail!("name at least one host the certificate is for (--host gpu.example)");
    }
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(hosts.to_vec()).context("making the certificate")?;
    Ok((
        cert.pem(),
        signing_key.serialize_pem(),
        fingerprint(cert.der()),
    ))
}

/// Writes a self-signed pair into `dir` (0700; the key 0600) and returns the paths and the
/// fingerprint.
pub fn write_self_signed(dir: &Path, hosts: &[String]) -> Result<(TlsFiles, String)> {
    let (cert, key, print) = self_signed(hosts)?;
    crate::private_fs::ensure_private_dir(dir)?;
    let files = TlsFiles {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    };
    crate::private_fs::write_private_file(&files.key, key.as_bytes())?;
    crate::private_fs::write_private_file(&files.cert, cert.as_bytes())?;
    Ok((files, print))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_self_signed_pair_loads_and_its_fingerprint_matches() {
        let dir = tempfile::tempdir().expect("tmp");
        let (files, print) =
            write_self_signed(&dir.path().join("tls"), &["localhost".into()]).expect("made");
        let (_, loaded) = load(&files).expect("loads");
        assert_eq!(loaded, print);
        assert_eq!(print.len(), 32 * 3 - 1);
        let wrong = TlsFiles {
            cert: files.cert.clone(),
            key: dir.path().join("nope.pem"),
        };
        let e = load(&wrong).expect_err("no key file");
        assert!(format!("{e:#}").contains("nope.pem"), "{e:#}");
    }
}
