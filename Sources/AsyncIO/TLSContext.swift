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
    /// A server's ALPN list in wire form, handed to OpenSSL's selection callback as its
    /// argument; written once in `init`, only read after (by OpenSSL, on any thread).
    nonisolated(unsafe) private let serverProtocols: UnsafeMutableBufferPointer<UInt8>?

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
        let wire = Self.alpnWireFormat(configuration.applicationProtocols)
        if isServer, !wire.isEmpty {
            let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: wire.count + 1)
            // The first byte holds the list's length (at most 255 names of 255 bytes do not fit
            // it, so longer lists are cut at the last whole name that does).
            var used = 0
            var index = 0
            while index < wire.count, used + 1 + Int(wire[index]) <= 255 {
                let length = Int(wire[index]) + 1
                for offset in 0..<length { buffer[1 + used + offset] = wire[index + offset] }
                used += length
                index += length
            }
            buffer[0] = UInt8(used)
            serverProtocols = buffer
        } else {
            serverProtocols = nil
        }

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
            if let serverProtocols {
                SSL_CTX_set_alpn_select_cb(context, selectApplicationProtocol, serverProtocols.baseAddress)
            }
        }
    }

    deinit {
        SSL_CTX_free(pointer)
        serverProtocols?.deallocate()
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

/// Server-side ALPN: the first of the server's protocols (`argument`: its length, then its
/// wire form) that the client offers; none in common, carry on without ALPN.
private func selectApplicationProtocol(
    _ ssl: OpaquePointer?,
    _ out: UnsafeMutablePointer<UnsafePointer<UInt8>?>?,
    _ outLength: UnsafeMutablePointer<UInt8>?,
    _ offered: UnsafePointer<UInt8>?,
    _ offeredLength: UInt32,
    _ argument: UnsafeMutableRawPointer?
) -> Int32 {
    guard let offered, let out, let outLength, let argument else { return SSL_TLSEXT_ERR_NOACK }
    let server = argument.assumingMemoryBound(to: UInt8.self)
    var selected: UnsafeMutablePointer<UInt8>?
    // Walks the server's list in order, the client's for each: both are well formed (the
    // server's was built here, OpenSSL checks the client's before calling).
    let result = SSL_select_next_proto(&selected, outLength, server + 1, UInt32(server[0]), offered, offeredLength)
    guard result == OPENSSL_NPN_NEGOTIATED, let selected else { return SSL_TLSEXT_ERR_NOACK }
    out.pointee = UnsafePointer(selected)
    return SSL_TLSEXT_ERR_OK
}
