import AsyncIO
import HTTP1
import Locking
import TestSupport
import Testing

/// The client's pool when an h2 upstream goes away: here because the scripted h2c server
/// is made of this target's `RawFrames`.
@Suite(.serialized) struct PoolGoAwayTests {
    /// The first connection says GOAWAY while its stream is still open: that stream finishes
    /// on it, and the next request opens a second connection instead of joining it.
    @Test func afterGoAwayTheStreamInFlightFinishesAndTheNextRequestGoesToANewConnection() async throws {
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        defer { listener.close() }
        let accepted = Mutex(0)
        let script = Task {
            let first = try await listener.accept()
            defer { first.close() }
            accepted.withLock { $0 += 1 }
            guard let firstStream = try await RawFrames.readPreface(thenFrameOfType: 0x1, from: first) else { return }
            // GOAWAY before the head: by the time the client has the head, it knows.
            try await first.write(
                RawFrames.settings() + RawFrames.settingsAcknowledgement + RawFrames.goAway(lastStream: firstStream) + RawFrames.ok(stream: firstStream))
            let second = try await listener.accept()
            defer { second.close() }
            accepted.withLock { $0 += 1 }
            guard let secondStream = try await RawFrames.readPreface(thenFrameOfType: 0x1, from: second) else { return }
            try await second.write(
                RawFrames.settings() + RawFrames.settingsAcknowledgement + RawFrames.ok(stream: secondStream)
                    + RawFrames.data(stream: secondStream, Array("answer 1".utf8), endStream: true))
            // Only now does the first stream end.
            try await first.write(RawFrames.data(stream: firstStream, Array("answer 0".utf8), endStream: true))
            _ = try? await first.read(maxBytes: 65536, deadline: .after(.seconds(2)))
        }
        defer { script.cancel() }
        var configuration = HTTPClient.Configuration()
        configuration.http2 = .on
        configuration.responseHeadTimeout = .seconds(5)
        let client = try HTTPClient(configuration: configuration)
        defer { client.shutdown() }
        let url = HTTPURL("http://127.0.0.1:\(listener.localAddress.port)/")!
        let first = try await client.execute(HTTPClientRequest(url: url))
        let second = try await client.execute(HTTPClientRequest(url: url))
        #expect(accepted.withLock { $0 } == 2)
        #expect(try await second.body.collect(upTo: 100) == Array("answer 1".utf8))
        #expect(try await first.body.collect(upTo: 100) == Array("answer 0".utf8))
    }
}
