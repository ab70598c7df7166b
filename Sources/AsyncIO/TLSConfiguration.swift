/// How a TLS endpoint is set up: which certificates a client trusts, or which certificate a
/// server presents. Peer verification is always on for clients; there is no switch to turn
/// it off.
public struct TLSConfiguration: Sendable, Equatable {
    /// Where a client finds the certificate authorities it trusts.
    public enum TrustRoots: Sendable, Equatable {
        /// OpenSSL's default locations (Debian: /etc/ssl/certs), overridden by the
        /// `SSL_CERT_FILE` and `SSL_CERT_DIR` environment variables when set.
        case system
        /// Only the certificates in this PEM bundle (like curl's `--cacert`).
        case file(String)
    }

    /// A client that verifies the server, or a server with its certificate chain and key.
    public enum Role: Sendable, Equatable {
        case client(trustRoots: TrustRoots)
        case server(certificateChainFile: String, privateKeyFile: String)
    }

    /// Which side of the handshake, and with what certificates.
    public var role: Role
    /// ALPN protocols offered (client) or accepted (server), most preferred first.
    public var applicationProtocols: [String] = ["http/1.1"]

    /// A client that verifies its peers against `trustRoots`, TLS 1.2 or later.
    public static func client(trustRoots: TrustRoots = .system) -> TLSConfiguration {
        TLSConfiguration(role: .client(trustRoots: trustRoots))
    }

    /// A server presenting the PEM certificate chain and private key in these files.
    public static func server(certificateChainFile: String, privateKeyFile: String) -> TLSConfiguration {
        TLSConfiguration(role: .server(certificateChainFile: certificateChainFile, privateKeyFile: privateKeyFile))
    }
}
