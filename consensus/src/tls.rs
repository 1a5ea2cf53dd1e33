//! Certificates and mutual TLS for the QUIC transport.
//!
//! A cluster CA signs one certificate per node and one for operators. A
//! certificate's identity is its DNS name: `node-<id>.<cluster>.cordon` or
//! `operator.<cluster>.cordon`. Both ends verify the chain against the
//! cluster CA; the client also checks the server's name, and the server reads
//! the client's identity from its certificate. What a peer may do is decided
//! by that identity (and the current membership), never by what a request
//! claims.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::RootCertStore;

use crate::types::NodeId;

/// The ALPN protocol id of Cordon's QUIC protocol.
pub const ALPN: &[u8] = b"cordon/1";

/// Errors creating, loading or using certificates.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A PEM file holds no usable certificate or key.
    #[error(
        "{path}: {problem} (fix: regenerate it with `cordon certs init` or `cordon certs issue`)"
    )]
    BadPem {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// Certificate generation failed.
    #[error("generate certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// rustls refused the configuration.
    #[error("configure tls: {0}")]
    Rustls(#[from] rustls::Error),
    /// The client verifier could not be built.
    #[error("configure client verification: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),
    /// The certificate names someone else (another node, another cluster).
    #[error(
        "{path} is {found}'s certificate, not {expected}'s of cluster {cluster} (fix: issue one with `cordon certs issue --cluster FILE` for {expected})"
    )]
    NotOurs {
        /// The certificate file.
        path: PathBuf,
        /// Who was to hold it.
        expected: PeerIdentity,
        /// The cluster.
        cluster: String,
        /// Whom it names instead.
        found: String,
    },
    /// The certificate expired already.
    #[error(
        "{path} expired {expired_s} s ago (fix: issue a new one with `cordon certs issue --cluster FILE` and restart)"
    )]
    Expired {
        /// The certificate file.
        path: PathBuf,
        /// How long ago, in seconds.
        expired_s: u64,
    },
}

/// Who a peer is, according to its certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerIdentity {
    /// A cluster node.
    Node(NodeId),
    /// An operator tool (`cordon ctl`).
    Operator,
}

impl std::fmt::Display for PeerIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PeerIdentity::Node(id) => write!(f, "node-{id}"),
            PeerIdentity::Operator => f.write_str("operator"),
        }
    }
}

/// The DNS name in node `id`'s certificate.
pub fn node_dns_name(cluster: &str, id: NodeId) -> String {
    format!("node-{id}.{cluster}.cordon")
}

/// The DNS name in the operator certificate.
pub fn operator_dns_name(cluster: &str) -> String {
    format!("operator.{cluster}.cordon")
}

/// Reads the identity a DNS name stands for in `cluster`.
pub fn identity_from_dns_name(cluster: &str, name: &str) -> Option<PeerIdentity> {
    let suffix = format!(".{cluster}.cordon");
    let label = name.strip_suffix(&suffix)?;
    if label == "operator" {
        return Some(PeerIdentity::Operator);
    }
    let id = label.strip_prefix("node-")?.parse().ok()?;
    Some(PeerIdentity::Node(id))
}

/// The identity in a verified peer certificate, if it names one of `cluster`.
pub fn identity_from_certificate(cluster: &str, der: &[u8]) -> Option<PeerIdentity> {
    let (_, certificate) = x509_parser::parse_x509_certificate(der).ok()?;
    let names = certificate.subject_alternative_name().ok()??;
    names
        .value
        .general_names
        .iter()
        .find_map(|name| match name {
            x509_parser::extensions::GeneralName::DNSName(dns) => {
                identity_from_dns_name(cluster, dns)
            }
            _ => None,
        })
}

/// When a certificate stops being valid (its `notAfter`). rustls checks
/// validity only during the handshake, and a QUIC connection may outlive
/// the certificate it was opened with; the transport closes it then.
pub fn certificate_not_after(der: &[u8]) -> Option<std::time::SystemTime> {
    let (_, certificate) = x509_parser::parse_x509_certificate(der).ok()?;
    let seconds = certificate.validity().not_after.timestamp();
    let seconds = u64::try_from(seconds).ok()?;
    Some(std::time::UNIX_EPOCH + Duration::from_secs(seconds))
}

/// File names inside a certificate folder.
pub struct CertPaths;

impl CertPaths {
    /// The CA certificate.
    pub fn ca_cert(dir: &Path) -> PathBuf {
        dir.join("ca.crt")
    }
    /// The CA key (keep it offline once the certificates are issued).
    pub fn ca_key(dir: &Path) -> PathBuf {
        dir.join("ca.key")
    }
    /// A holder's certificate and key.
    pub fn holder(dir: &Path, holder: PeerIdentity) -> (PathBuf, PathBuf) {
        let stem = match holder {
            PeerIdentity::Node(id) => format!("node-{id}"),
            PeerIdentity::Operator => "operator".to_string(),
        };
        (
            dir.join(format!("{stem}.crt")),
            dir.join(format!("{stem}.key")),
        )
    }
}

fn write_file(path: &Path, contents: &str, secret: bool) -> Result<(), TlsError> {
    let io = |source| TlsError::Io {
        action: "write",
        path: path.to_path_buf(),
        source,
    };
    std::fs::write(path, contents).map_err(io)?;
    if secret {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
    }
    Ok(())
}

fn read_file(path: &Path) -> Result<String, TlsError> {
    std::fs::read_to_string(path).map_err(|source| TlsError::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    })
}

fn validity(params: &mut CertificateParams, valid_for: Duration) {
    let now = time::OffsetDateTime::now_utc();
    // An hour of slack for clocks that run a little behind the issuer's.
    params.not_before = now - time::Duration::hours(1);
    params.not_after = now + valid_for;
}

/// Creates a cluster CA, a certificate for each node and one for operators
/// in `dir`.
pub fn generate_cluster_certs(
    cluster: &str,
    node_ids: &[NodeId],
    dir: &Path,
    valid_for: Duration,
) -> Result<(), TlsError> {
    std::fs::create_dir_all(dir).map_err(|source| TlsError::Io {
        action: "create folder",
        path: dir.to_path_buf(),
        source,
    })?;
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, format!("cordon cluster CA {cluster}"));
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    validity(&mut ca_params, valid_for * 2);
    let ca_cert = ca_params.self_signed(&ca_key)?;
    write_file(&CertPaths::ca_cert(dir), &ca_cert.pem(), false)?;
    write_file(&CertPaths::ca_key(dir), &ca_key.serialize_pem(), true)?;
    let issuer = Issuer::new(ca_params, ca_key);
    for id in node_ids {
        issue(cluster, PeerIdentity::Node(*id), &issuer, dir, valid_for)?;
    }
    issue(cluster, PeerIdentity::Operator, &issuer, dir, valid_for)
}

/// The CA of the files in `dir`, to issue certificates with.
fn ca_issuer(dir: &Path) -> Result<Issuer<'static, KeyPair>, TlsError> {
    let ca_pem = read_file(&CertPaths::ca_cert(dir))?;
    let key_path = CertPaths::ca_key(dir);
    let ca_key = KeyPair::from_pem(&read_file(&key_path)?).map_err(|e| TlsError::BadPem {
        path: key_path,
        problem: e.to_string(),
    })?;
    Ok(Issuer::from_ca_cert_pem(&ca_pem, ca_key)?)
}

/// Issues one more certificate from the CA files in `dir` (a new node, or a
/// rotation of an existing holder's certificate).
pub fn issue_from_ca_files(
    cluster: &str,
    holder: PeerIdentity,
    dir: &Path,
    valid_for: Duration,
) -> Result<(), TlsError> {
    let issuer = ca_issuer(dir)?;
    issue(cluster, holder, &issuer, dir, valid_for)
}

fn issue(
    cluster: &str,
    holder: PeerIdentity,
    issuer: &Issuer<'_, KeyPair>,
    dir: &Path,
    valid_for: Duration,
) -> Result<(), TlsError> {
    let name = match holder {
        PeerIdentity::Node(id) => node_dns_name(cluster, id),
        PeerIdentity::Operator => operator_dns_name(cluster),
    };
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::new(vec![name.clone()])?;
    params.distinguished_name.push(DnType::CommonName, name);
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    validity(&mut params, valid_for);
    let cert = params.signed_by(&key, issuer)?;
    let (cert_path, key_path) = CertPaths::holder(dir, holder);
    write_file(&cert_path, &cert.pem(), false)?;
    write_file(&key_path, &key.serialize_pem(), true)
}

/// The files of node `id`'s HTTPS API certificate and key in `dir`.
pub fn api_cert_paths(dir: &Path, id: NodeId) -> (PathBuf, PathBuf) {
    (
        dir.join(format!("api-{id}.crt")),
        dir.join(format!("api-{id}.key")),
    )
}

/// The names node `spec`'s HTTPS API answers to: its `api_addr` (unless a
/// wildcard), the loopback names, and the cluster's public API names
/// (without their ports).
pub fn api_cert_names(spec: &cordon_config::NodeSpec, public_hosts: &[String]) -> Vec<String> {
    let mut names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    if !spec.api_addr.ip().is_unspecified() {
        names.push(spec.api_addr.ip().to_string());
    }
    for host in public_hosts {
        let name = match host.rsplit_once(':') {
            Some((name, port)) if port.parse::<u16>().is_ok() && !name.contains(':') => name,
            _ => host.as_str(),
        };
        names.push(
            name.trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
        );
    }
    names.sort();
    names.dedup();
    names
}

/// Issues every node's HTTPS API certificate from the CA files in `dir`
/// (the cluster's `tls.cert_dir`), naming what [`api_cert_names`] gives.
pub fn issue_api_certs(
    cluster: &cordon_config::ClusterConfig,
    dir: &Path,
    valid_for: Duration,
) -> Result<(), TlsError> {
    let issuer = ca_issuer(dir)?;
    for spec in cluster.nodes() {
        let names = api_cert_names(spec, cluster.api_public_hosts());
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::new(names)?;
        params.distinguished_name.push(
            DnType::CommonName,
            format!("api of node-{}.{}.cordon", spec.id, cluster.name()),
        );
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        validity(&mut params, valid_for);
        let cert = params.signed_by(&key, &issuer)?;
        let (cert_path, key_path) = api_cert_paths(dir, spec.id);
        write_file(&cert_path, &cert.pem(), false)?;
        write_file(&key_path, &key.serialize_pem(), true)?;
    }
    Ok(())
}

/// The URI a client certificate names its principal with.
pub fn principal_uri(cluster: &str, name: &str) -> String {
    format!("cordon://{cluster}/principal/{name}")
}

/// The URI a client certificate names one of its roles with.
pub fn role_uri(cluster: &str, role: &str) -> String {
    format!("cordon://{cluster}/role/{role}")
}

/// The files of principal `name`'s client certificate and key in `dir`.
pub fn client_cert_paths(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    (
        dir.join(format!("client-{name}.crt")),
        dir.join(format!("client-{name}.key")),
    )
}

/// Issues a client certificate for principal `name` with `roles` (their
/// text, e.g. `station:bund`) from the CA files in `dir`: the principal and
/// each role are URIs of its subject alternative names.
pub fn issue_client_cert(
    cluster: &str,
    name: &str,
    roles: &[String],
    dir: &Path,
    valid_for: Duration,
) -> Result<(PathBuf, PathBuf), TlsError> {
    let issuer = ca_issuer(dir)?;
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.distinguished_name.push(DnType::CommonName, name);
    let uris = std::iter::once(principal_uri(cluster, name))
        .chain(roles.iter().map(|role| role_uri(cluster, role)));
    for uri in uris {
        let uri = uri.try_into()?;
        params.subject_alt_names.push(rcgen::SanType::URI(uri));
    }
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    validity(&mut params, valid_for);
    let cert = params.signed_by(&key, &issuer)?;
    let (cert_path, key_path) = client_cert_paths(dir, name);
    write_file(&cert_path, &cert.pem(), false)?;
    write_file(&key_path, &key.serialize_pem(), true)?;
    Ok((cert_path, key_path))
}

/// What a verified client certificate names: the principal, its roles'
/// text and the certificate's fingerprint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientCertificate {
    /// The principal's name.
    pub name: String,
    /// Its roles, as text.
    pub roles: Vec<String>,
    /// The first 16 hex digits of the SHA-256 of the certificate.
    pub fingerprint: String,
}

/// Verifies API clients' certificates against the cluster CA.
#[derive(Clone)]
pub struct ClientCertAuthority {
    cluster: String,
    verifier: Arc<dyn rustls::server::danger::ClientCertVerifier>,
}

impl std::fmt::Debug for ClientCertAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCertAuthority")
            .field("cluster", &self.cluster)
            .finish_non_exhaustive()
    }
}

impl ClientCertAuthority {
    /// Loads the cluster CA at `ca_cert`.
    pub fn load(cluster: &str, ca_cert: &Path) -> Result<ClientCertAuthority, TlsError> {
        let roots = ca_roots(ca_cert)?;
        let verifier =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), TlsIdentity::provider())
                .allow_unauthenticated()
                .build()?;
        Ok(ClientCertAuthority {
            cluster: cluster.to_string(),
            verifier,
        })
    }

    /// The verifier for a TLS server that asks for (but does not require)
    /// a client certificate.
    pub fn verifier(&self) -> Arc<dyn rustls::server::danger::ClientCertVerifier> {
        self.verifier.clone()
    }

    /// Verifies `der` (chain to the CA, validity now, client use) and reads
    /// the principal and roles it names for this cluster.
    pub fn verify(&self, der: &[u8]) -> Result<ClientCertificate, String> {
        let cert = CertificateDer::from(der.to_vec());
        self.verifier
            .verify_client_cert(&cert, &[], rustls::pki_types::UnixTime::now())
            .map_err(|e| format!("not a valid certificate of the cluster CA: {e}"))?;
        let (_, parsed) =
            x509_parser::parse_x509_certificate(der).map_err(|e| format!("unreadable: {e}"))?;
        let names = parsed
            .subject_alternative_name()
            .ok()
            .flatten()
            .map(|san| san.value.general_names.clone())
            .unwrap_or_default();
        let prefix = format!("cordon://{}/", self.cluster);
        let mut principal = None;
        let mut roles = Vec::new();
        for name in names {
            let x509_parser::extensions::GeneralName::URI(uri) = name else {
                continue;
            };
            match uri.strip_prefix(&prefix) {
                Some(rest) if rest.starts_with("principal/") => {
                    principal = Some(rest["principal/".len()..].to_string());
                }
                Some(rest) if rest.starts_with("role/") => {
                    roles.push(rest["role/".len()..].to_string())
                }
                _ => {}
            }
        }
        let name = principal.ok_or_else(|| {
            format!("it names no principal of cluster {} (issue it with `cordon certs issue --principal`)", self.cluster)
        })?;
        let digest = ring::digest::digest(&ring::digest::SHA256, der);
        let fingerprint = crate::ledger::audit::hex(&digest.as_ref()[..8]);
        Ok(ClientCertificate {
            name,
            roles,
            fingerprint,
        })
    }
}

/// A holder's loaded TLS material: its chain, key and the cluster CA.
pub struct TlsIdentity {
    /// The cluster name the certificates belong to.
    pub cluster: String,
    /// Who holds it.
    pub holder: PeerIdentity,
    roots: Arc<RootCertStore>,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("cluster", &self.cluster)
            .field("holder", &self.holder)
            .finish_non_exhaustive()
    }
}

impl TlsIdentity {
    /// Key material for the QUIC endpoint's connection ids and stateless
    /// resets, derived from the holder's private key: the same across
    /// restarts of the node. A restarted node recognises the connection ids
    /// its previous process handed out and answers a packet on such a
    /// connection with a stateless reset its peer believes; the peer then
    /// dials afresh at once instead of waiting out deadlines on a
    /// connection nobody serves.
    pub fn endpoint_secret(&self, purpose: &str) -> [u8; 32] {
        let mut context = ring::digest::Context::new(&ring::digest::SHA256);
        context.update(b"cordon quic endpoint v1\0");
        context.update(purpose.as_bytes());
        context.update(b"\0");
        context.update(self.key.secret_der());
        let mut secret = [0u8; 32];
        secret.copy_from_slice(context.finish().as_ref());
        secret
    }

    /// Loads `holder`'s certificate and key from `cert_dir` and the CA from `ca_cert`.
    pub fn load(
        cluster: &str,
        holder: PeerIdentity,
        ca_cert: &Path,
        cert_dir: &Path,
    ) -> Result<TlsIdentity, TlsError> {
        let roots = ca_roots(ca_cert)?;
        let (cert_path, key_path) = CertPaths::holder(cert_dir, holder);
        let chain = load_certs(&cert_path)?;
        check_own_certificate(cluster, holder, &cert_path, &chain[0])?;
        let key = PrivateKeyDer::from_pem_slice(read_file(&key_path)?.as_bytes()).map_err(|e| {
            TlsError::BadPem {
                path: key_path.clone(),
                problem: format!("no private key: {e}"),
            }
        })?;
        Ok(TlsIdentity {
            cluster: cluster.to_string(),
            holder,
            roots: Arc::new(roots),
            chain,
            key,
        })
    }

    pub(crate) fn provider() -> Arc<rustls::crypto::CryptoProvider> {
        Arc::new(rustls::crypto::ring::default_provider())
    }

    /// The rustls server configuration: our certificate, client certificates
    /// required and verified against the cluster CA.
    pub fn server_config(&self) -> Result<rustls::ServerConfig, TlsError> {
        let verifier =
            WebPkiClientVerifier::builder_with_provider(self.roots.clone(), Self::provider())
                .build()?;
        let mut config = rustls::ServerConfig::builder_with_provider(Self::provider())
            .with_protocol_versions(&[&rustls::version::TLS13])?
            .with_client_cert_verifier(verifier)
            .with_single_cert(self.chain.clone(), self.key.clone_key())?;
        config.alpn_protocols = vec![ALPN.to_vec()];
        // No session resumption: a resumed session is accepted without
        // checking the client's certificate again, so a peer whose
        // certificate expired (or was rotated out) could come back on an
        // old ticket. Connections are long-lived; full handshakes are cheap.
        config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
        config.send_tls13_tickets = 0;
        Ok(config)
    }

    /// The rustls client configuration: trust only the cluster CA and present
    /// our certificate.
    pub fn client_config(&self) -> Result<rustls::ClientConfig, TlsError> {
        let mut config = rustls::ClientConfig::builder_with_provider(Self::provider())
            .with_protocol_versions(&[&rustls::version::TLS13])?
            .with_root_certificates(self.roots.clone())
            .with_client_auth_cert(self.chain.clone(), self.key.clone_key())?;
        config.alpn_protocols = vec![ALPN.to_vec()];
        // See `server_config`: every connection is a full handshake.
        config.resumption = rustls::client::Resumption::disabled();
        Ok(config)
    }
}

/// Refuses a certificate that names another holder or has expired, so a
/// node never starts (or an operator never connects) under a certificate
/// its peers will refuse.
fn check_own_certificate(
    cluster: &str,
    holder: PeerIdentity,
    path: &Path,
    leaf: &CertificateDer<'_>,
) -> Result<(), TlsError> {
    let found = identity_from_certificate(cluster, leaf);
    if found != Some(holder) {
        return Err(TlsError::NotOurs {
            path: path.to_path_buf(),
            expected: holder,
            cluster: cluster.to_string(),
            found: found.map_or_else(
                || "no member of this cluster".to_string(),
                |f| f.to_string(),
            ),
        });
    }
    let now = std::time::SystemTime::now();
    if let Some(expired) = certificate_not_after(leaf).and_then(|end| now.duration_since(end).ok())
    {
        return Err(TlsError::Expired {
            path: path.to_path_buf(),
            expired_s: expired.as_secs(),
        });
    }
    Ok(())
}

/// The cluster CA at `ca_cert` as a root store.
fn ca_roots(ca_cert: &Path) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for cert in load_certs(ca_cert)? {
        roots.add(cert).map_err(|e| TlsError::BadPem {
            path: ca_cert.to_path_buf(),
            problem: e.to_string(),
        })?;
    }
    Ok(roots)
}

fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = read_file(path)?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| TlsError::BadPem {
            path: path.to_path_buf(),
            problem: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsError::BadPem {
            path: path.to_path_buf(),
            problem: "no certificate in the file".into(),
        });
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names_round_trip_to_identities() {
        assert_eq!(
            identity_from_dns_name("huangpu", &node_dns_name("huangpu", 7)),
            Some(PeerIdentity::Node(7))
        );
        assert_eq!(
            identity_from_dns_name("huangpu", &operator_dns_name("huangpu")),
            Some(PeerIdentity::Operator)
        );
        // A certificate of another cluster names nobody here.
        assert_eq!(
            identity_from_dns_name("huangpu", &node_dns_name("pudong", 7)),
            None
        );
        assert_eq!(
            identity_from_dns_name("huangpu", "node-x.huangpu.cordon"),
            None
        );
    }

    #[test]
    fn generated_certificates_load_and_name_their_holder() {
        let dir = tempfile::tempdir().unwrap();
        generate_cluster_certs("huangpu", &[1, 2], dir.path(), Duration::from_secs(86_400))
            .unwrap();
        let identity = TlsIdentity::load(
            "huangpu",
            PeerIdentity::Node(2),
            &CertPaths::ca_cert(dir.path()),
            dir.path(),
        )
        .unwrap();
        assert_eq!(
            identity_from_certificate("huangpu", &identity.chain[0]),
            Some(PeerIdentity::Node(2))
        );
        identity.server_config().unwrap();
        identity.client_config().unwrap();
        // A new node's certificate can be issued later from the CA files.
        issue_from_ca_files(
            "huangpu",
            PeerIdentity::Node(9),
            dir.path(),
            Duration::from_secs(86_400),
        )
        .unwrap();
        let (cert, _) = CertPaths::holder(dir.path(), PeerIdentity::Node(9));
        let der = load_certs(&cert).unwrap();
        assert_eq!(
            identity_from_certificate("huangpu", &der[0]),
            Some(PeerIdentity::Node(9))
        );
    }

    // A node refuses to start under another node's certificate or an
    // expired one, saying which and how to fix it.
    #[test]
    fn a_certificate_of_someone_else_or_expired_is_refused_at_load() {
        let dir = tempfile::tempdir().unwrap();
        generate_cluster_certs("huangpu", &[1, 2], dir.path(), Duration::from_secs(86_400))
            .unwrap();
        let ca = CertPaths::ca_cert(dir.path());
        let (one_cert, one_key) = CertPaths::holder(dir.path(), PeerIdentity::Node(1));
        let (two_cert, two_key) = CertPaths::holder(dir.path(), PeerIdentity::Node(2));
        std::fs::copy(&two_cert, &one_cert).unwrap();
        std::fs::copy(&two_key, &one_key).unwrap();
        let error = TlsIdentity::load("huangpu", PeerIdentity::Node(1), &ca, dir.path())
            .expect_err("node 2's certificate as node 1's");
        assert!(matches!(error, TlsError::NotOurs { .. }), "{error}");
        assert!(error.to_string().contains("node-2"), "{error}");
        issue_from_ca_files(
            "huangpu",
            PeerIdentity::Node(2),
            dir.path(),
            Duration::from_secs(1),
        )
        .unwrap();
        std::thread::sleep(Duration::from_millis(2_100));
        let error = TlsIdentity::load("huangpu", PeerIdentity::Node(2), &ca, dir.path())
            .expect_err("an expired certificate");
        assert!(matches!(error, TlsError::Expired { .. }), "{error}");
    }

    #[test]
    fn a_certificate_tells_when_it_expires() {
        // A short-lived rotation: its notAfter is the requested validity
        // from now, to the second.
        let dir = tempfile::tempdir().unwrap();
        generate_cluster_certs("huangpu", &[1], dir.path(), Duration::from_secs(86_400)).unwrap();
        let issued_at = std::time::SystemTime::now();
        issue_from_ca_files(
            "huangpu",
            PeerIdentity::Node(1),
            dir.path(),
            Duration::from_secs(8),
        )
        .unwrap();
        let (cert, _) = CertPaths::holder(dir.path(), PeerIdentity::Node(1));
        let not_after = certificate_not_after(&load_certs(&cert).unwrap()[0]).unwrap();
        let valid_for = not_after.duration_since(issued_at).unwrap();
        assert!(
            (Duration::from_secs(6)..=Duration::from_secs(9)).contains(&valid_for),
            "valid for {valid_for:?}"
        );
        assert_eq!(certificate_not_after(b"not a certificate"), None);
    }
}
