import COpenSSL

/// A configured OpenSSL `SSL_CTX`, shared by every connection made with it.
///
/// Building one reads certificate files, so do it once at start-up, not per connection.
public final class TLSContext: Sendable {
    /// What the context was made from.
    public let configuration: TLSConfiguration
    /// Configured once in `init` and never changed after; OpenSSL allows `SSL_new` on one
    /// `SSL_CTX` from many threads at once, which is all that is done with it afterwards.
    nonisolated(unsafe) let pointer: OpaquePointer

    /// Loads certificates, keys and trust roots once; throws when a file cannot be used.
    public init(_ configuration: TLSConfiguration) throws(TLSError) {
        ERR_clear_error()
        let isServer: Bool
        if case .server = configuration.role { isServer = true } else { isServer = false }
        guard let context = SSL_CTX_new(isServer ? TLS_server_method() : TLS_client_method()) else {
            throw .configuration("SSL_CTX_new", reason: TLSError.drainedReason())
        }
        self.pointer = context
        self.configuration = configuration

        guard copenssl_SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION) == 1 else {
            throw .configuration("minimum version TLS 1.2", reason: TLSError.drainedReason())
        }
        SSL_CTX_set_options(context, copenssl_SSL_OP_NO_RENEGOTIATION() | copenssl_SSL_OP_NO_COMPRESSION())
        // Writes are retried from a buffer that may have moved; idle pooled connections
        // should not keep 2 x 16 KB of record buffers each.
        _ = copenssl_SSL_CTX_set_mode(
            context,
            Int(SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER) | Int(SSL_MODE_RELEASE_BUFFERS)
        )

        switch configuration.role {
        case .client(let trustRoots):
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
            switch trustRoots {
            case .system:
                // Honours SSL_CERT_FILE / SSL_CERT_DIR, read from the environment at this call.
                guard SSL_CTX_set_default_verify_paths(context) == 1 else {
                    throw .configuration("load the system trust store", reason: TLSError.drainedReason())
                }
            case .file(let path):
                guard SSL_CTX_load_verify_locations(context, path, nil) == 1 else {
                    throw .configuration("load CA file \(path)", reason: TLSError.drainedReason())
                }
            }
            let wire = Self.alpnWireFormat(configuration.applicationProtocols)
            if !wire.isEmpty {
                // Unlike most of OpenSSL, this one returns 0 on success.
                guard SSL_CTX_set_alpn_protos(context, wire, UInt32(wire.count)) == 0 else {
                    throw .configuration("set ALPN protocols", reason: TLSError.drainedReason())
                }
            }
        case let .server(certificateChainFile, privateKeyFile):
            guard SSL_CTX_use_certificate_chain_file(context, certificateChainFile) == 1 else {
                throw .configuration("load certificate chain \(certificateChainFile)", reason: TLSError.drainedReason())
            }
            guard SSL_CTX_use_PrivateKey_file(context, privateKeyFile, SSL_FILETYPE_PEM) == 1 else {
                throw .configuration("load private key \(privateKeyFile)", reason: TLSError.drainedReason())
            }
            guard SSL_CTX_check_private_key(context) == 1 else {
                throw .configuration("match private key \(privateKeyFile) to certificate", reason: TLSError.drainedReason())
            }
            if configuration.applicationProtocols.contains("http/1.1") {
                SSL_CTX_set_alpn_select_cb(context, selectHTTP11, nil)
            }
        }
    }

    deinit {
        SSL_CTX_free(pointer)
    }

    /// ALPN's wire form: each name prefixed by its length.
    static func alpnWireFormat(_ protocols: [String]) -> [UInt8] {
        var wire: [UInt8] = []
        for name in protocols {
            let bytes = Array(name.utf8)
            guard !bytes.isEmpty, bytes.count < 256 else { continue }
            wire.append(UInt8(bytes.count))
            wire += bytes
        }
        return wire
    }
}

/// Server-side ALPN: pick http/1.1 when the client offers it; otherwise carry on without ALPN.
private func selectHTTP11(
    _ ssl: OpaquePointer?,
    _ out: UnsafeMutablePointer<UnsafePointer<UInt8>?>?,
    _ outLength: UnsafeMutablePointer<UInt8>?,
    _ offered: UnsafePointer<UInt8>?,
    _ offeredLength: UInt32,
    _ argument: UnsafeMutableRawPointer?
) -> Int32 {
    guard let offered, let out, let outLength else { return SSL_TLSEXT_ERR_NOACK }
    let wanted: [UInt8] = [8] + Array("http/1.1".utf8)
    var index = 0
    while index < Int(offeredLength) {
        let length = Int(offered[index])
        let start = index + 1
        guard start + length <= Int(offeredLength) else { break }
        if length == 8, (0..<9).allSatisfy({ offered[index + $0] == wanted[$0] }) {
            out.pointee = offered + start
            outLength.pointee = UInt8(length)
            return SSL_TLSEXT_ERR_OK
        }
        index = start + length
    }
    return SSL_TLSEXT_ERR_NOACK
}
