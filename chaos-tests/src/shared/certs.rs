//! Certificates for every chaos cluster (L1, L2, L3 and the operator
//! test): one CA and one certificate per node and for the operator.

use std::time::Duration;

use cordon_config::ClusterConfig;
use cordon_consensus::tls::{generate_cluster_certs, TlsError};
use cordon_consensus::NodeId;

/// Validity of the cluster's certificates, in seconds.
const CERTIFICATES_VALID_S: u64 = 86_400;

/// Makes the cluster CA and certificates for every node of `config` and
/// the operator, valid for a day, where the cluster file says.
pub fn certify(config: &ClusterConfig) -> Result<(), TlsError> {
    let ids: Vec<NodeId> = config.nodes().iter().map(|spec| spec.id).collect();
    generate_cluster_certs(
        config.name(),
        &ids,
        &config.tls().cert_dir,
        Duration::from_secs(CERTIFICATES_VALID_S),
    )
}
