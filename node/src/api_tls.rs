//! HTTPS for the API: each node serves its API certificate
//! (`tls.cert_dir/api-<id>.crt` and `.key`, issued from the cluster CA by
//! `cordon certs init`, or an operator's own certificate put in their
//! place), reloaded when the files change so a rotation needs no restart;
//! and the clients' trust in the cluster CA.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

/// How often the certificate files are checked for a change, at most.
const RELOAD_CHECK_MS: u64 = 2_000;

/// The TLS configuration of node `id`'s API server, with hot reload. It
/// asks for a client certificate (`clients` verifies it against the
/// cluster CA) but does not require one: a client may use a token instead.
pub fn server_config(
    cert_dir: &Path,
    id: u64,
    clients: Arc<dyn rustls::server::danger::ClientCertVerifier>,
) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let (cert, key) = cordon_consensus::tls::api_cert_paths(cert_dir, id);
    let resolver = ReloadingCert::load(cert, key, provider.clone())?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("rustls protocol versions")?
        .with_client_cert_verifier(clients)
        .with_cert_resolver(Arc::new(resolver));
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    // No session resumption: a resumed session skips the client
    // certificate check (a revoked or expired certificate would come back).
    config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
    config.send_tls13_tickets = 0;
    Ok(Arc::new(config))
}

/// The certificate and key files, and what was loaded from them when.
#[derive(Debug)]
struct ReloadingCert {
    cert: PathBuf,
    key: PathBuf,
    provider: Arc<CryptoProvider>,
    state: Mutex<Loaded>,
}

#[derive(Debug)]
struct Loaded {
    key: Arc<CertifiedKey>,
    /// The newer of the two files' modification times when loaded.
    modified: Option<SystemTime>,
    checked: Instant,
}

impl ReloadingCert {
    fn load(cert: PathBuf, key: PathBuf, provider: Arc<CryptoProvider>) -> anyhow::Result<Self> {
        let loaded = load_key(&cert, &key, &provider)?;
        let modified = modified(&cert, &key);
        Ok(ReloadingCert {
            cert,
            key,
            provider,
            state: Mutex::new(Loaded {
                key: loaded,
                modified,
                checked: Instant::now(),
            }),
        })
    }

    /// The current key, reloaded first if the files changed (a failed
    /// reload keeps the old one and says why).
    fn current(&self) -> Arc<CertifiedKey> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.checked.elapsed() >= Duration::from_millis(RELOAD_CHECK_MS) {
            state.checked = Instant::now();
            let now = modified(&self.cert, &self.key);
            if now != state.modified {
                match load_key(&self.cert, &self.key, &self.provider) {
                    Ok(key) => {
                        tracing::info!(cert = %self.cert.display(), "api certificate reloaded");
                        state.key = key;
                        state.modified = now;
                    }
                    Err(error) => tracing::warn!(
                        cert = %self.cert.display(),
                        error = %format!("{error:#}"),
                        "api certificate changed but does not load; serving the previous one"
                    ),
                }
            }
        }
        state.key.clone()
    }
}

impl ResolvesServerCert for ReloadingCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

fn modified(cert: &Path, key: &Path) -> Option<SystemTime> {
    let time = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    time(cert).max(time(key))
}

fn load_key(
    cert: &Path,
    key: &Path,
    provider: &CryptoProvider,
) -> anyhow::Result<Arc<CertifiedKey>> {
    let fix = "issue it with `cordon certs init` (or `cordon certs api --cluster FILE`), \
               or start the node with --insecure-http on a trusted network";
    let chain = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("read the API certificate {} ({fix})", cert.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("parse the API certificate {}", cert.display()))?;
    anyhow::ensure!(
        !chain.is_empty(),
        "{} holds no certificate ({fix})",
        cert.display()
    );
    let der = PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("read the API key {} ({fix})", key.display()))?;
    let signing = provider
        .key_provider
        .load_private_key(der)
        .with_context(|| format!("load the API key {}", key.display()))?;
    Ok(Arc::new(CertifiedKey::new(chain, signing)))
}

/// The cluster CA as a root for API clients (`cordon` commands, tests, drills).
pub fn ca_root(ca_cert: &Path) -> anyhow::Result<reqwest::Certificate> {
    let pem = std::fs::read(ca_cert)
        .with_context(|| format!("read the cluster CA {}", ca_cert.display()))?;
    reqwest::Certificate::from_pem(&pem)
        .with_context(|| format!("parse the cluster CA {}", ca_cert.display()))
}
