//! A TLS connection to a server, checked against the system's root certificates (as the AWS
//! SDK checks AWS's): the one way agentprep opens TLS outside the SDK, for `invoke --ws` to
//! AgentCore and for the JWT issuer's discovery document and keys.

use tokio::net::TcpStream;

/// TLS over `tcp` to `host`, its certificate checked for that name.
pub async fn connect(
    host: &str,
    tcp: TcpStream,
) -> anyhow::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let mut roots = rustls::RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(found.certs);
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(host.to_string())?;
    Ok(
        tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
            .connect(name, tcp)
            .await?,
    )
}
