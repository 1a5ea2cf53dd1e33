//! Certificates for every chaos cluster (L1, L2, L3 and the operator
//! test): one CA, one certificate per node and for the operator, and each
//! node's API (HTTPS) certificate.

use std::time::Duration;

use cordon_config::ClusterConfig;
use cordon_consensus::tls::{generate_cluster_certs, issue_api_certs, TlsError};
use cordon_consensus::NodeId;

/// Validity of the cluster's certificates, in seconds.
const CERTIFICATES_VALID_S: u64 = 86_400;

/// Makes the cluster CA and certificates for every node of `config`, its
/// API and the operator, valid for a day, where the cluster file says.
pub fn certify(config: &ClusterConfig) -> Result<(), TlsError> {
    let ids: Vec<NodeId> = config.nodes().iter().map(|spec| spec.id).collect();
    let (dir, valid_for) = (
        &config.tls().cert_dir,
        Duration::from_secs(CERTIFICATES_VALID_S),
    );
    generate_cluster_certs(config.name(), &ids, dir, valid_for)?;
    issue_api_certs(config, dir, valid_for)
}
