import Glibc
import TestSupport
import Testing

@testable import AsyncIO

func openDescriptorCount() -> Int {
    var count = 0
    guard let directory = opendir("/proc/self/fd") else { return -1 }
    while readdir(directory) != nil { count += 1 }
    closedir(directory)
    return count
}

@Suite struct TCPConnectionTests {
    @Test func bytesFlowBothWays() async throws {
        let (client, server) = try await makeConnectedPair()
        try await client.write(Array("ping".utf8))
        #expect(try await server.read() == Array("ping".utf8))
        try await server.write(Array("pong".utf8))
        #expect(try await client.read() == Array("pong".utf8))
        client.close()
        #expect(try await server.read() == [])
    }

    @Test func largeWritesWaitForBufferSpaceAndArriveWhole() async throws {
        let (client, server) = try await makeConnectedPair()
        let payload = (0..<8_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        async let written: Void = client.write(payload)
        var received: [UInt8] = []
        received.reserveCapacity(payload.count)
        while received.count < payload.count {
            let chunk = try await server.read(maxBytes: 1 << 16)
            if chunk.isEmpty { break }
            received += chunk
        }
        try await written
        #expect(received == payload)
    }

    @Test func cancellingAParkedReadResumesItPromptly() async throws {
        let (client, server) = try await makeConnectedPair()
        let reader = Task { () throws(IOError) -> [UInt8] in try await server.read() }
        // Whether the cancel lands before or after the read parks, the read must end with
        // .cancelled and leave the connection usable.
        reader.cancel()
        let result = await reader.result
        #expect(throws: IOError.cancelled) { try result.get() }
        // The connection still works for a new reader afterwards.
        try await client.write([1, 2, 3])
        #expect(try await server.read() == [1, 2, 3])
    }

    @Test func deadlineEndsASilentRead() async throws {
        let (client, server) = try await makeConnectedPair()
        defer { withExtendedLifetime(client) {} }
        let start = Deadline.now
        await #expect(throws: IOError.timedOut("read")) {
            _ = try await server.read(deadline: .after(.milliseconds(50)))
        }
        let elapsed = Deadline.now.nanoseconds - start.nanoseconds
        #expect(elapsed >= 50_000_000)
        #expect(elapsed < 2_000_000_000)
    }

    @Test func closingWakesAParkedReaderAndThePeerSeesEndOfStream() async throws {
        let (client, server) = try await makeConnectedPair()
        let parked = Task { () throws(IOError) -> [UInt8] in try await server.read() }
        // The reader may or may not have parked yet; either way it must end with .closed.
        server.close()
        let outcome = await parked.result
        #expect(throws: IOError.closed) { try outcome.get() }
        #expect(try await client.read() == [])
    }

    @Test func connectToAClosedPortFailsWithTheAddress() async throws {
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        let address = listener.localAddress
        listener.close()
        await #expect {
            _ = try await TCPConnection.connect(to: address)
        } throws: { error in
            guard case .systemCall("connect", ECONNREFUSED, let target)? = error as? IOError else { return false }
            return target == address.description
        }
    }

    @Test func ipv6LoopbackWorks() async throws {
        let listener = try TCPListener(host: "::1", port: 0)
        #expect(listener.localAddress.family == .ipv6)
        async let accepted = listener.accept()
        let client = try await TCPConnection.connect(to: listener.localAddress)
        let server = try await accepted
        try await client.write(Array("v6".utf8))
        #expect(try await server.read() == Array("v6".utf8))
    }

    @Test func loopbackAddressesAreTold() throws {
        for host in ["127.0.0.1", "127.255.0.9", "localhost", "::1", "[::1]", "::ffff:127.0.0.1"] {
            #expect(try #require(TCPListener.address(host: host, port: 80)).isLoopback, "\(host)")
        }
        for host in ["0.0.0.0", "::", "10.0.0.1", "128.0.0.1", "::2", "::ffff:10.0.0.1", "fe80::1"] {
            #expect(try !#require(TCPListener.address(host: host, port: 80)).isLoopback, "\(host)")
        }
        for host in ["example.com", "localhost.", "1.2.3", ""] {
            #expect(TCPListener.address(host: host, port: 80) == nil, "\(host)")
        }
    }

    @Test func closingAListenerWakesItsAcceptLoop() async throws {
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        let acceptor = Task { () throws(IOError) -> TCPConnection in try await listener.accept() }
        listener.close()
        let result = await acceptor.result
        #expect(throws: IOError.closed) { try result.get() }
    }

    @Test func closedConnectionsReleaseTheirDescriptors() async throws {
        final class WeakRegistration: @unchecked Sendable {  // written once, before any read
            weak var registration: Registration?
            init(_ registration: Registration) { self.registration = registration }
        }
        var tracked: [WeakRegistration] = []
        var descriptors: [Int32] = []
        for _ in 0..<200 {
            let (client, server) = try await makeConnectedPair()
            // A read that parks with a deadline arms a reactor timer, which must not keep the
            // descriptor alive once the connection is closed. Whether a read parks here depends
            // on timing; Tests/e2e/test_server_resources.py checks it deterministically.
            async let received = server.read(deadline: .after(.seconds(3600)))
            try await client.write([42])
            _ = try await received
            descriptors += [client.fileDescriptor, server.fileDescriptor]
            tracked.append(WeakRegistration(server.registration))
            client.close()
            server.close()
        }
        // The reactor drops its reference after its current batch of events; a round trip on
        // a fresh pair makes it pass that point.
        let (client, server) = try await makeConnectedPair()
        try await client.write([1])
        _ = try await server.read()
        #expect(tracked.allSatisfy { $0.registration == nil })
        #expect(Set(descriptors).count < descriptors.count, "descriptor numbers are reused once released")
    }
}
