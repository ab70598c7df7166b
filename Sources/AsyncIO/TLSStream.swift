import COpenSSL
import Glibc
import Locking

/// TLS over a non-blocking `TCPConnection`, driven by the reactor.
///
/// OpenSSL does its own system calls on the descriptor; when it reports that it wants the
/// socket readable or writable (in any operation: the handshake, a read, a write) the task
/// parks on the connection until the reactor says so, then tries again.
public final class TLSStream: ByteStream {
    /// The TCP connection the TLS session runs over.
    public let connection: TCPConnection
    /// The `SSL` object. OpenSSL objects are not thread-safe, so every call on it happens
    /// under this lock; calls never block (the socket is non-blocking), so neither does the lock.
    private let ssl: Mutex<SSLHandle>
    /// Reads and writes now waiting on the other direction than their own (a read that must
    /// write, a write that must read: renegotiation, key updates). While there are any, one
    /// task's OpenSSL call may consume the bytes or buffer space another parked for, so each
    /// call wakes the parked tasks to try again. Raised under `ssl`'s lock, so a call made
    /// after that sees it.
    private let crossingOperations = Atomic<Int>(0)
    /// The host name or IP the peer was verified against ("" on the server side).
    public let peerName: String

    private init(connection: TCPConnection, ssl: OpaquePointer, peerName: String) {
        self.connection = connection
        self.ssl = Mutex(SSLHandle(pointer: ssl))
        self.peerName = peerName
    }

    deinit {
        ssl.withLock { SSL_free($0.pointer) }
    }

    /// Runs the client handshake over `connection`, verifying the peer's certificate against
    /// `serverName`: a DNS name (also sent as SNI) or an IP literal (checked against the
    /// certificate's IP addresses, no SNI). Closes the connection when it fails.
    public static func connect(
        over connection: TCPConnection,
        context: TLSContext,
        serverName: String,
        deadline: Deadline = .never
    ) async throws(TLSError) -> TLSStream {
        let stream = try make(connection: connection, context: context, peerName: serverName)
        do {
            try stream.configureClient(serverName: serverName)
            try await stream.handshake(deadline: deadline, isClient: true)
        } catch {
            connection.close()
            throw error
        }
        return stream
    }

    /// Runs the server handshake over an accepted connection. Closes the connection when it fails.
    public static func accept(
        over connection: TCPConnection,
        context: TLSContext,
        deadline: Deadline = .never
    ) async throws(TLSError) -> TLSStream {
        let stream = try make(connection: connection, context: context, peerName: "")
        do {
            try await stream.handshake(deadline: deadline, isClient: false)
        } catch {
            connection.close()
            throw error
        }
        return stream
    }

    private static func make(connection: TCPConnection, context: TLSContext, peerName: String) throws(TLSError) -> TLSStream {
        ERR_clear_error()
        guard let ssl = SSL_new(context.pointer) else {
            connection.close()
            throw .configuration("SSL_new", reason: TLSError.drainedReason())
        }
        guard SSL_set_fd(ssl, connection.fileDescriptor) == 1 else {
            let reason = TLSError.drainedReason()
            SSL_free(ssl)
            connection.close()
            throw .configuration("SSL_set_fd", reason: reason)
        }
        return TLSStream(connection: connection, ssl: ssl, peerName: peerName)
    }

    private func configureClient(serverName: String) throws(TLSError) {
        let name = SocketAddress.unbracketed(serverName)
        let isIPLiteral = SocketAddress(ip: name, port: 0) != nil
        let ok: Bool = ssl.withLock { handle in
            ERR_clear_error()
            SSL_set_connect_state(handle.pointer)
            let parameters = SSL_get0_param(handle.pointer)
            if isIPLiteral {
                return X509_VERIFY_PARAM_set1_ip_asc(parameters, name) == 1
            }
            X509_VERIFY_PARAM_set_hostflags(parameters, UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
            return X509_VERIFY_PARAM_set1_host(parameters, name, 0) == 1
                && copenssl_SSL_set_tlsext_host_name(handle.pointer, name) == 1
        }
        guard ok else {
            throw .configuration("verify the peer as \(name)", reason: TLSError.drainedReason())
        }
    }

    private func handshake(deadline: Deadline, isClient: Bool) async throws(TLSError) {
        while true {
            let outcome = ssl.withLock { handle -> Outcome in
                ERR_clear_error()
                let result = isClient ? SSL_connect(handle.pointer) : SSL_accept(handle.pointer)
                if result == 1 { return .done(0) }
                return classify(&handle, result: result, during: .handshake)
            }
            switch outcome {
            case .done: return
            case .wantRead: try await wait(readable: true, deadline: deadline, operation: "TLS handshake")
            case .wantWrite: try await wait(readable: false, deadline: deadline, operation: "TLS handshake")
            case .closedByPeer: throw .handshakeFailed(host: peerNameForErrors, reason: "the peer closed the connection")
            case .failed(let error): throw error
            }
        }
    }

    /// Reads decrypted bytes into `buffer`; 0 means the peer closed the TLS session cleanly.
    public func read(into buffer: UnsafeMutableRawBufferPointer, deadline: Deadline = .never) async throws(TLSError) -> Int {
        let count = Int32(clamping: buffer.count)
        var crossing = false
        defer { if crossing { crossingOperations.subtract(1, ordering: .relaxed) } }
        while true {
            let outcome = ssl.withLock { handle -> Outcome in
                ERR_clear_error()
                let result = SSL_read(handle.pointer, buffer.baseAddress, count)
                if result > 0 { return .done(Int(result)) }
                return markCrossing(classify(&handle, result: result, during: .read), as: .wantWrite, &crossing)
            }
            wakeOthersIfCrossing()
            switch outcome {
            case .done(let count): return count
            case .closedByPeer: return 0
            case .wantRead: try await wait(readable: true, deadline: deadline, operation: "read")
            case .wantWrite: try await wait(readable: false, deadline: deadline, operation: "read")
            case .failed(let error): throw error
            }
        }
    }

    /// Encrypts and writes all of `bytes`.
    public func write(_ bytes: ArraySlice<UInt8>, deadline: Deadline = .never) async throws(TLSError) {
        var offset = bytes.startIndex
        var crossing = false
        defer { if crossing { crossingOperations.subtract(1, ordering: .relaxed) } }
        while offset < bytes.endIndex {
            let outcome = ssl.withLock { handle -> Outcome in
                ERR_clear_error()
                let result = bytes[offset...].withUnsafeBytes {
                    SSL_write(handle.pointer, $0.baseAddress, Int32(clamping: $0.count))
                }
                if result > 0 { return .done(Int(result)) }
                return markCrossing(classify(&handle, result: result, during: .write), as: .wantRead, &crossing)
            }
            wakeOthersIfCrossing()
            switch outcome {
            case .done(let count): offset += count
            case .wantRead: try await wait(readable: true, deadline: deadline, operation: "write")
            case .wantWrite: try await wait(readable: false, deadline: deadline, operation: "write")
            case .closedByPeer: throw .io(.closed)
            case .failed(let error): throw error
            }
        }
    }

    /// Writes all of `bytes`, waiting for the socket as OpenSSL asks.
    public func write(_ bytes: [UInt8], deadline: Deadline = .never) async throws(TLSError) {
        try await write(bytes[...], deadline: deadline)
    }

    /// Sends close_notify if the socket takes it right away (it does unless its buffer is
    /// full), then closes the connection. Never waits for the peer's close_notify.
    public func close() {
        guard !connection.isClosed else { return }
        ssl.withLock { handle in
            if !handle.failed && SSL_is_init_finished(handle.pointer) == 1 {
                ERR_clear_error()
                _ = SSL_shutdown(handle.pointer)
                ERR_clear_error()
            }
        }
        connection.close()
    }

    /// Whether the stream (and its connection) has been closed.
    public var isClosed: Bool { connection.isClosed }

    /// The ALPN protocol both sides agreed on, if any.
    public var negotiatedProtocol: String? {
        ssl.withLock { handle in
            var data: UnsafePointer<UInt8>?
            var length: UInt32 = 0
            SSL_get0_alpn_selected(handle.pointer, &data, &length)
            guard let data, length > 0 else { return nil }
            return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
        }
    }

    /// On the server side, the host name the client asked for with SNI (nil when it sent none,
    /// as clients do when they connect to an IP address).
    public var requestedServerName: String? {
        ssl.withLock { handle in
            SSL_get_servername(handle.pointer, TLSEXT_NAMETYPE_host_name).map { String(cString: $0) }
        }
    }

    /// The negotiated protocol version ("TLSv1.3").
    public var protocolVersion: String {
        ssl.withLock { String(cString: SSL_get_version($0.pointer)) }
    }

    // MARK: - Outcomes

    private enum Phase { case handshake, read, write }

    private enum Outcome {
        case done(Int)
        case wantRead, wantWrite
        case closedByPeer
        case failed(TLSError)

        func isWant(_ other: Outcome) -> Bool {
            switch (self, other) {
            case (.wantRead, .wantRead), (.wantWrite, .wantWrite): true
            default: false
            }
        }
    }

    private var peerNameForErrors: String { peerName.isEmpty ? (connection.remoteAddress?.description ?? "peer") : peerName }

    /// Turns a non-positive result of an OpenSSL I/O call into what to do next. Runs under
    /// the lock, on the thread that made the call, so the error queue and errno are its own.
    private func classify(_ handle: inout SSLHandle, result: Int32, during phase: Phase) -> Outcome {
        let savedErrno = errno
        let pointer = handle.pointer
        let code = SSL_get_error(pointer, result)
        switch code {
        case SSL_ERROR_WANT_READ:
            return .wantRead
        case SSL_ERROR_WANT_WRITE:
            return .wantWrite
        case SSL_ERROR_ZERO_RETURN:
            return .closedByPeer
        default:
            break
        }
        let failure: TLSError
        if connection.isClosed {
            failure = .io(.closed)
        } else if phase == .handshake, SSL_get_verify_result(pointer) != Int(X509_V_OK) {
            let verdict = String(cString: X509_verify_cert_error_string(SSL_get_verify_result(pointer)))
            failure = .certificateRejected(host: peerNameForErrors, verification: verdict)
        } else if code == SSL_ERROR_SYSCALL {
            let queued = ERR_peek_error()
            if queued != 0 {
                failure = wrap(TLSError.drainedReason(), phase: phase)
            } else if savedErrno != 0 && result < 0 {
                failure = .io(.systemCall(phase == .write ? "write" : "read", errno: savedErrno, target: connection.remoteAddress?.description))
            } else {
                failure = phase == .handshake ? wrap("the peer closed the connection", phase: phase) : .unexpectedEOF
            }
        } else {
            let queued = ERR_peek_error()
            if copenssl_ERR_GET_REASON(queued) == SSL_R_UNEXPECTED_EOF_WHILE_READING {
                ERR_clear_error()
                failure = phase == .handshake ? wrap("the peer closed the connection", phase: phase) : .unexpectedEOF
            } else {
                failure = wrap(TLSError.drainedReason(fallback: "SSL_get_error \(code)"), phase: phase)
            }
        }
        handle.failed = true
        return .failed(failure)
    }

    private func wrap(_ reason: String, phase: Phase) -> TLSError {
        phase == .handshake ? .handshakeFailed(host: peerNameForErrors, reason: reason) : .protocolError(reason: reason)
    }

    /// Counts the operation as crossing the first time OpenSSL asks it to wait on the other
    /// direction (`crossingOutcome`); called under `ssl`'s lock.
    private func markCrossing(_ outcome: Outcome, as crossingOutcome: Outcome, _ crossing: inout Bool) -> Outcome {
        if !crossing, outcome.isWant(crossingOutcome) {
            crossing = true
            crossingOperations.add(1, ordering: .relaxed)
        }
        return outcome
    }

    /// While an operation crosses directions, wakes the tasks parked on the connection after
    /// each OpenSSL call (they retry theirs; a wake-up with nobody parked is remembered).
    private func wakeOthersIfCrossing() {
        if crossingOperations.load(ordering: .relaxed) > 0 { connection.wakeWaiters() }
    }

    /// Parks until the socket is ready in the direction OpenSSL asked for, like every other
    /// wait on a descriptor (a connection takes several waiters per direction).
    private func wait(readable: Bool, deadline: Deadline, operation: String) async throws(TLSError) {
        do {
            if readable {
                try await connection.waitUntilReadable(deadline: deadline)
            } else {
                try await connection.waitUntilWritable(deadline: deadline)
            }
        } catch .timedOut {
            throw .io(.timedOut(operation))
        } catch {
            throw .io(error)
        }
    }
}

/// The `SSL *`, plus whether a fatal error means it must not be shut down politely.
/// Sendable because it lives only inside `TLSStream.ssl`, a `Mutex`: every use of the
/// pointer holds that lock.
struct SSLHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    var failed = false
}
