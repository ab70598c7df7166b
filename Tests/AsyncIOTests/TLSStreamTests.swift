import Foundation
import TestSupport
import Testing

@testable import AsyncIO

/// A loopback TLS server presenting one certificate; it serves whatever `handler` does with
/// each connection whose handshake succeeds.
private final class TLSTestServer: Sendable {
    let listener: TCPListener
    let context: TLSContext
    var port: Int { listener.localAddress.port }

    init(_ pair: TestCertificates.Pair, applicationProtocols: [String] = ["http/1.1"]) throws {
        listener = try TCPListener(host: "127.0.0.1", port: 0)
        var configuration = TLSConfiguration.server(certificateChainFile: pair.certificate, privateKeyFile: pair.key)
        configuration.applicationProtocols = applicationProtocols
        context = try TLSContext(configuration)
    }

    /// Accepts one connection and runs the server handshake (nil when the client gave up).
    func acceptOne() async -> TLSStream? {
        guard let connection = try? await listener.accept() else { return nil }
        return try? await TLSStream.accept(over: connection, context: context, deadline: .after(.seconds(5)))
    }

    deinit { listener.close() }
}

private let certificates = TestCertificates.shared
private let trustingTestCA = Result { try TLSContext(.client(trustRoots: .file(certificates.caFile))) }

private func connect(to server: TLSTestServer, as name: String, context: TLSContext) async throws(TLSError) -> TLSStream {
    let address = SocketAddress(ip: "127.0.0.1", port: server.port)!
    let connection: TCPConnection
    do { connection = try await TCPConnection.connect(to: address) } catch { throw .io(error) }
    return try await TLSStream.connect(over: connection, context: context, serverName: name, deadline: .after(.seconds(5)))
}

/// The error a client handshake against a server with `pair` ends in, or nil if it succeeds.
private func handshakeFailure(_ pair: TestCertificates.Pair, as name: String, context: TLSContext) async throws -> TLSError? {
    let server = try TLSTestServer(pair)
    let accepted = Task { await server.acceptOne() }
    defer { accepted.cancel() }
    do {
        let stream = try await connect(to: server, as: name, context: context)
        stream.close()
        return nil
    } catch {
        return error
    }
}

private func rejection(_ error: TLSError?) -> (host: String, verification: String)? {
    if case let .certificateRejected(host, verification) = error { return (host, verification) }
    return nil
}

@Suite struct TLSStreamTests {
    @Test func trustedCertificateCarriesBytesBothWaysAndClosesCleanly() async throws {
        let server = try TLSTestServer(certificates.server)
        async let accepted = server.acceptOne()
        let client = try await connect(to: server, as: "localhost", context: trustingTestCA.get())
        let serverSide = try #require(await accepted)
        #expect(client.negotiatedProtocol == "http/1.1")
        #expect(serverSide.negotiatedProtocol == "http/1.1")
        #expect(["TLSv1.2", "TLSv1.3"].contains(client.protocolVersion))

        try await client.write(Array("hello over tls".utf8))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1024, alignment: 1)
        defer { buffer.deallocate() }
        let count = try await serverSide.read(into: buffer)
        #expect(Array(buffer[..<count]) == Array("hello over tls".utf8))
        try await serverSide.write(Array("and back".utf8))
        let back = try await client.read(into: buffer)
        #expect(Array(buffer[..<back]) == Array("and back".utf8))

        // close_notify reaches the server as a clean end of stream (0), not an error.
        client.close()
        #expect(try await serverSide.read(into: buffer) == 0)
    }

    /// The client offers h2 before http/1.1 (as the upstream client does); what the stream
    /// reports is what the server picked, and nothing when the server does no ALPN or
    /// shares no protocol with the client.
    @Test(
        arguments: [
            (["h2", "http/1.1"], "h2"), (["http/1.1", "h2"], "http/1.1"), (["http/1.1"], "http/1.1"), (["h2"], "h2"),
            ([], nil), (["spdy/3"], nil),
        ] as [([String], String?)])
    func alpnReportsWhatTheServerSelected(serverProtocols: [String], expected: String?) async throws {
        let server = try TLSTestServer(certificates.server, applicationProtocols: serverProtocols)
        async let accepted = server.acceptOne()
        var configuration = TLSConfiguration.client(trustRoots: .file(certificates.caFile))
        configuration.applicationProtocols = ["h2", "http/1.1"]
        let client = try await connect(to: server, as: "localhost", context: TLSContext(configuration))
        let serverSide = try #require(await accepted)
        #expect(client.negotiatedProtocol == expected)
        #expect(serverSide.negotiatedProtocol == expected)
        let stream: any ByteStream = client
        #expect(stream.negotiatedProtocol == expected)
        client.close()
    }

    @Test func plainTCPNegotiatesNoProtocol() async throws {
        let (client, server) = try await makeConnectedPair()
        #expect(client.negotiatedProtocol == nil)
        client.close()
        server.close()
    }

    @Test func plainAndTLSStreamsServeTheSameCodeThroughByteStream() async throws {
        func roundTrip(_ client: any ByteStream, _ server: any ByteStream) async throws -> [UInt8] {
            try await client.send(Array("ping".utf8))
            let got = try await server.receive(maxBytes: 100)
            try await server.send(got + Array("!".utf8))
            return try await client.receive(maxBytes: 100)
        }
        let (plainClient, plainServer) = try await makeConnectedPair()
        #expect(try await roundTrip(plainClient, plainServer) == Array("ping!".utf8))

        let server = try TLSTestServer(certificates.server)
        async let accepted = server.acceptOne()
        let tlsClient = try await connect(to: server, as: "localhost", context: trustingTestCA.get())
        let tlsServer = try #require(await accepted)
        #expect(try await roundTrip(tlsClient, tlsServer) == Array("ping!".utf8))
    }

    @Test func anIPLiteralIsVerifiedAgainstTheCertificatesIPAddresses() async throws {
        #expect(try await handshakeFailure(certificates.server, as: "127.0.0.1", context: trustingTestCA.get()) == nil)
        let wrong = try await handshakeFailure(certificates.wrongHost, as: "127.0.0.1", context: trustingTestCA.get())
        #expect(rejection(wrong)?.verification == "IP address mismatch")
    }

    @Test(arguments: [("localhost", "localhost"), ("127.0.0.1", nil)] as [(String, String?)])
    func sniIsSentForNamesButNotForIPAddresses(name: String, expected: String?) async throws {
        let server = try TLSTestServer(certificates.server)
        async let accepted = server.acceptOne()
        let client = try await connect(to: server, as: name, context: trustingTestCA.get())
        let serverSide = try #require(await accepted)
        #expect(serverSide.requestedServerName == expected)
        client.close()
    }

    @Test func aSelfSignedCertificateIsRefused() async throws {
        let error = try await handshakeFailure(certificates.selfSigned, as: "localhost", context: trustingTestCA.get())
        let refused = try #require(rejection(error))
        #expect(refused.host == "localhost")
        #expect(refused.verification.contains("self-signed") || refused.verification.contains("self signed"))
        #expect(error!.description.contains("certificate of localhost rejected"))
    }

    @Test func aHostNameMismatchIsRefused() async throws {
        let error = try await handshakeFailure(certificates.wrongHost, as: "localhost", context: trustingTestCA.get())
        #expect(rejection(error)?.verification == "hostname mismatch")
    }

    @Test func anExpiredCertificateIsRefused() async throws {
        let error = try await handshakeFailure(certificates.expired, as: "localhost", context: trustingTestCA.get())
        #expect(rejection(error)?.verification == "certificate has expired")
    }

    /// The only test that touches SSL_CERT_FILE (process-wide), and it restores it.
    @Test func theSystemStoreRefusesThePrivateCAUnlessSSLCertFileNamesIt() async throws {
        let system = try TLSContext(.client())
        let refused = try await handshakeFailure(certificates.server, as: "localhost", context: system)
        #expect(rejection(refused)?.verification == "unable to get local issuer certificate")

        setenv("SSL_CERT_FILE", certificates.caFile, 1)
        let honouringFile = Result { try TLSContext(.client()) }
        unsetenv("SSL_CERT_FILE")
        #expect(try await handshakeFailure(certificates.server, as: "localhost", context: honouringFile.get()) == nil)

        setenv("SSL_CERT_DIR", try certificates.hashedCADirectory(), 1)
        let honouringDirectory = Result { try TLSContext(.client()) }
        unsetenv("SSL_CERT_DIR")
        #expect(try await handshakeFailure(certificates.server, as: "localhost", context: honouringDirectory.get()) == nil)
    }

    @Test func configurationErrorsNameTheFileAndOpenSSLsReason() throws {
        #expect {
            try TLSContext(.client(trustRoots: .file("/nonexistent/ca.pem")))
        } throws: { error in
            guard case let .configuration(step, reason) = error as? TLSError else { return false }
            return step.contains("/nonexistent/ca.pem") && !reason.isEmpty
        }
        #expect {
            try TLSContext(.server(certificateChainFile: certificates.server.certificate, privateKeyFile: certificates.wrongHost.key))
        } throws: { error in
            guard case let .configuration(step, reason) = error as? TLSError else { return false }
            return step.contains(certificates.wrongHost.key) && reason.contains("key values mismatch")
        }
    }

    @Test func largeTransfersInBothDirectionsSurviveFullSocketBuffers() async throws {
        let server = try TLSTestServer(certificates.server)
        async let accepted = server.acceptOne()
        let client = try await connect(to: server, as: "localhost", context: trustingTestCA.get())
        let serverSide = try #require(await accepted)
        let payload = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }

        // The server echoes; the client writes everything before reading anything, so both
        // sides hit WANT_WRITE and must wait for the reactor.
        let echo = Task {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 1)
            defer { buffer.deallocate() }
            var total = 0
            while total < payload.count {
                let count = try await serverSide.read(into: buffer)
                if count == 0 { break }
                try await serverSide.write(Array(buffer[..<count]))
                total += count
            }
        }
        let reader = Task {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 1)
            defer { buffer.deallocate() }
            var received: [UInt8] = []
            while received.count < payload.count {
                let count = try await client.read(into: buffer)
                if count == 0 { break }
                received += buffer[..<count]
            }
            return received
        }
        try await client.write(payload)
        #expect(try await reader.value == payload)
        try await echo.value
    }

    @Test func aSilentServerMakesTheHandshakeTimeOut() async throws {
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        async let silent = listener.accept()
        let connection = try await TCPConnection.connect(to: listener.localAddress)
        let start = Deadline.now
        await #expect(throws: TLSError.io(.timedOut("TLS handshake"))) {
            _ = try await TLSStream.connect(
                over: connection, context: try trustingTestCA.get(), serverName: "localhost", deadline: .after(.milliseconds(100))
            )
        }
        // A loose bound: the suite shares two threads with heavy tests. Without the deadline
        // the handshake would wait for the silent server for ever.
        #expect(Deadline.now.nanoseconds - start.nanoseconds < 10_000_000_000)
        #expect(connection.isClosed)
        _ = try await silent
    }

    @Test func aPeerThatHangsUpWithoutCloseNotifyIsReportedAsTruncation() async throws {
        let server = try TLSTestServer(certificates.server)
        async let accepted = server.acceptOne()
        let client = try await connect(to: server, as: "localhost", context: trustingTestCA.get())
        let serverSide = try #require(await accepted)
        serverSide.connection.close()  // TCP close, no close_notify
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1024, alignment: 1)
        defer { buffer.deallocate() }
        await #expect(throws: TLSError.unexpectedEOF) { _ = try await client.read(into: buffer) }
    }
}

@Suite struct NameResolverTests {
    @Test func literalsNeedNoLookup() async throws {
        #expect(try await NameResolver.resolve(host: "127.0.0.1", port: 443) == [SocketAddress(ip: "127.0.0.1", port: 443)!])
        #expect(try await NameResolver.resolve(host: "[::1]", port: 80) == [SocketAddress(ip: "::1", port: 80)!])
    }

    @Test func localhostResolvesToALoopbackAddress() async throws {
        let addresses = try await NameResolver.resolve(host: "localhost", port: 8080)
        #expect(!addresses.isEmpty)
        #expect(addresses.allSatisfy { ["127.0.0.1", "::1"].contains($0.ip) && $0.port == 8080 })
    }

    @Test func aCancelledLookupReturnsAtOnce() async throws {
        let lookup = Task { () throws(IOError) -> [SocketAddress] in
            withUnsafeCurrentTask { $0?.cancel() }
            return try await NameResolver.resolve(host: "localhost", port: 1)
        }
        await #expect(throws: IOError.cancelled) { try await lookup.value }
    }
}
