//! The client side of `wss://`: rustls (ring) trusting Mozilla's roots, a private CA
//! (`--ca-file`), or, for a certificate no CA vouches for, a pinned SHA-256 fingerprint
//! (`--fingerprint`, as SSH pins host keys). A refusal names the fingerprint it was shown.

use crate::exit::ClientError;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// What a client trusts beyond the public CAs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trust {
    pub ca_file: Option<PathBuf>,
    /// `AB:CD:…` or plain hex: the SHA-256 of the certificate to accept, whoever signed it.
    pub fingerprint: Option<String>,
    /// The file the pin was kept in (`chinwag login`), to name when it no longer matches.
    pub pinned_in: Option<PathBuf>,
}

/// Reads a fingerprint as 32 bytes, with or without colons, in either case.
pub fn parse_fingerprint(text: &str) -> Option<[u8; 32]> {
    let hex: String = text.chars().filter(|c| *c != ':').collect();
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(hex.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}

/// What a [`Checker`] accepts.
#[derive(Debug, Clone, Copy)]
enum Policy {
    /// What the CAs vouch for.
    Ca,
    /// Exactly this certificate, whoever signed it (and nothing else).
    Pin([u8; 32]),
    /// Anything: only for [`probe`], which sends nothing after the handshake.
    Record,
}

/// Checks a server certificate by its policy and remembers the fingerprint it was shown, for
/// the error message. Handshake signatures are always checked against the certificate.
#[derive(Debug)]
struct Checker {
    ca: Arc<WebPkiServerVerifier>,
    policy: Policy,
    shown: Shown,
}

impl ServerCertVerifier for Checker {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let print = chinwagd::tls::fingerprint(end_entity);
        if let Ok(mut s) = self.shown.lock() {
            *s = Some(print.clone());
        }
        match self.policy {
            Policy::Record => Ok(ServerCertVerified::assertion()),
            Policy::Pin(pin) if parse_fingerprint(&print) == Some(pin) => {
                Ok(ServerCertVerified::assertion())
            }
            Policy::Pin(_) => Err(rustls::Error::General("pinned fingerprint mismatch".into())),
            Policy::Ca => {
                self.ca
                    .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.ca.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.ca.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.ca.supported_verify_schemes()
    }
}

/// Where a connector notes the fingerprint it was shown.
pub type Shown = Arc<Mutex<Option<String>>>;

/// A connector whose checks follow `policy`, trusting Mozilla's roots and `ca_file`'s.
fn build(
    ca_file: Option<&PathBuf>,
    policy: Policy,
) -> Result<(tokio_rustls::TlsConnector, Shown), ClientError> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = ca_file {
        let certs = CertificateDer::pem_file_iter(path)
            .and_then(|it| it.collect::<Result<Vec<_>, _>>())
            .map_err(|e| {
                ClientError::Usage(format!("cannot read the CA file {}: {e}", path.display()))
            })?;
        let (added, _) = roots.add_parsable_certificates(certs);
        if added == 0 {
            return Err(ClientError::Usage(format!(
                "{} holds no usable CA certificate",
                path.display()
            )));
        }
    }
    let provider = chinwagd::tls::provider();
    let ca = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
        .build()
        .map_err(|e| ClientError::Usage(format!("cannot set up certificate checks: {e}")))?;
    let shown: Shown = Arc::default();
    let checker = Checker {
        ca,
        policy,
        shown: Arc::clone(&shown),
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::Usage(format!("cannot set up TLS: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(checker))
        .with_no_client_auth();
    Ok((tokio_rustls::TlsConnector::from(Arc::new(config)), shown))
}

/// A TLS connector for `trust`, and where it will note the fingerprint it is shown.
pub fn connector(trust: &Trust) -> Result<(tokio_rustls::TlsConnector, Shown), ClientError> {
    let policy = match &trust.fingerprint {
        Some(text) => Policy::Pin(parse_fingerprint(text).ok_or_else(|| {
            ClientError::Usage(format!(
                "{text:?} is not a SHA-256 fingerprint (64 hex digits, colons allowed)"
            ))
        })?),
        None => Policy::Ca,
    };
    build(trust.ca_file.as_ref(), policy)
}

/// The fingerprint of the certificate `host:port` presents, read in a TLS handshake after
/// which nothing is sent (for the user to compare before trusting it).
pub async fn probe(host: &str, port: u16) -> Result<String, ClientError> {
    let (connector, shown) = build(None, Policy::Record)?;
    let tcp = tokio::net::TcpStream::connect((host, port))
        .await
        .map_err(|e| ClientError::DaemonUnreachable(format!("cannot reach {host}:{port} ({e})")))?;
    let name = ServerName::try_from(host.to_string())
        .map_err(|e| ClientError::Usage(format!("{host:?}: {e}")))?;
    let _ = connector.connect(name, tcp).await;
    let shown = shown.lock().ok().and_then(|mut s| s.take());
    shown.ok_or_else(|| {
        ClientError::DaemonUnreachable(format!("{host}:{port} presented no certificate"))
    })
}

/// A failed handshake in words that say what to do, naming the fingerprint shown.
pub fn refusal(
    host: &str,
    trust: &Trust,
    shown: Option<String>,
    e: &std::io::Error,
) -> ClientError {
    let Some(shown) = shown else {
        return ClientError::DaemonUnreachable(format!("TLS with {host} failed: {e}"));
    };
    let message = match &trust.fingerprint {
        Some(pin) => {
            let fix = match &trust.pinned_in {
                Some(file) => format!(
                    "edit its entry in {} (or `chinwag logout` and log in again)",
                    file.display()
                ),
                None => "pin the new one (--fingerprint, or CHINWAG_FINGERPRINT)".into(),
            };
            format!(
                "the certificate of {host} has changed: it is {shown}, not the pinned {pin}. If \
                 it was replaced on purpose, {fix}; otherwise someone may be in the middle. \
                 Nothing was sent."
            )
        }
        None => format!(
            "no trusted CA vouches for the certificate of {host} (SHA-256 {shown}). If that is \
             your daemon's (`chinwagd tls self-signed` printed it), pin it with --fingerprint \
             {shown}, or give its CA with --ca-file. Nothing was sent."
        ),
    };
    ClientError::Unsafe(message)
}

#[cfg(test)]
mod tests {
    use super::parse_fingerprint;

    #[test]
    fn fingerprints_read_with_or_without_colons() {
        let colons = (0..32)
            .map(|i| format!("{i:02X}"))
            .collect::<Vec<_>>()
            .join(":");
        let plain = colons.replace(':', "").to_lowercase();
        assert_eq!(parse_fingerprint(&colons), parse_fingerprint(&plain));
        assert_eq!(parse_fingerprint(&colons).map(|f| f[31]), Some(31));
        assert!(parse_fingerprint("AB:CD").is_none());
        assert!(parse_fingerprint(&"zz".repeat(32)).is_none());
    }
}
