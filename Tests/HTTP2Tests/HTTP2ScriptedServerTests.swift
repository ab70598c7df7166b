import AsyncIO
import HTTP2
import TestSupport
import Testing

/// Behaviour a real server shows only under faults, from servers scripted frame by frame.
@Suite(.serialized) struct HTTP2ScriptedServerTests {
    private func request() -> HTTP2Request {
        HTTP2Request(method: "GET", scheme: "http", authority: "localhost", path: "/")
    }

    @Test func afterGoAwayStreamsInFlightFinishAndNoNewOneStarts() async throws {
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        defer { listener.close() }
        let script = Task {
            let peer = try await listener.accept()
            defer { peer.close() }
            // Preface and SETTINGS, then HEADERS of streams 1 and 3 (sent together below): both
            // have arrived before the server goes away with stream 1 as the last.
            _ = try await RawFrames.readPreface(thenFrameOfType: 0x1, count: 2, from: peer)
            try await peer.write(RawFrames.settings() + RawFrames.settingsAcknowledgement)
            try await peer.write(RawFrames.goAway(lastStream: 1) + RawFrames.ok(stream: 1))
            try await Task.sleep(for: .milliseconds(100))
            try await peer.write(RawFrames.data(stream: 1, Array("finished".utf8), endStream: true))
            _ = try? await peer.read(maxBytes: 65536, deadline: .after(.seconds(2)))
        }
        let stream = try await TCPConnection.connect(to: SocketAddress(ip: "127.0.0.1", port: listener.localAddress.port)!)
        let connection = try HTTP2Connection.start(over: stream)
        let accepted = try #require(try connection.startStream(request()))
        let refused = try #require(try connection.startStream(request()))
        #expect(try await accepted.responseHead(deadline: .after(.seconds(5))).status == 200)
        #expect(!connection.isUsable)
        #expect(try connection.startStream(request()) == nil)
        #expect(try await accepted.collectBody() == Array("finished".utf8))
        // The stream above the GOAWAY's last id was never processed: safe to send elsewhere.
        await #expect(throws: HTTP2Error.refused) { try await refused.responseHead(deadline: .after(.seconds(5))) }
        script.cancel()
        connection.close()
    }

    @Test func aServerThatStopsAnsweringPingsIsDeclaredDead() async throws {
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        defer { listener.close() }
        let script = Task {
            let peer = try await listener.accept()
            try await RawFrames.answerPreface(of: peer)
            // Then silence, the socket left open: no PING ACK, no response.
            try await Task.sleep(for: .seconds(30))
            peer.close()
        }
        defer { script.cancel() }
        var configuration = HTTP2Configuration()
        configuration.pingInterval = .milliseconds(200)
        configuration.pingTimeout = .milliseconds(300)
        configuration.tick = .milliseconds(50)
        let stream = try await TCPConnection.connect(to: SocketAddress(ip: "127.0.0.1", port: listener.localAddress.port)!)
        let connection = try HTTP2Connection.start(over: stream, configuration: configuration)
        let waiting = try #require(try connection.startStream(request()))
        let started = ContinuousClock.now
        await #expect(throws: HTTP2Error.unresponsive) { try await waiting.responseHead() }
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(connection.isClosed)
        #expect(!connection.isUsable)
    }

    @Test func aServerThatAnswersPingsStaysAlive() async throws {
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        defer { listener.close() }
        let script = Task {
            let peer = try await listener.accept()
            try await RawFrames.answerPreface(of: peer)
            // Answers every PING (type 6) with its ACK, nothing else.
            var pending: [UInt8] = []
            var pings = 0
            while pings < 3 {
                let bytes = try await peer.read(maxBytes: 65536, deadline: .after(.seconds(5)))
                if bytes.isEmpty { break }
                pending += bytes
                while pending.count >= 9 {
                    let length = Int(pending[0]) << 16 | Int(pending[1]) << 8 | Int(pending[2])
                    guard pending.count >= 9 + length else { break }
                    if pending[3] == 0x6, pending[4] & 0x1 == 0 {
                        try await peer.write(RawFrames.frame(type: 0x6, flags: 0x1, payload: Array(pending[9..<9 + length])))
                        pings += 1
                    }
                    pending.removeFirst(9 + length)
                }
            }
            return (pings, peer)
        }
        var configuration = HTTP2Configuration()
        configuration.pingInterval = .milliseconds(100)
        configuration.pingTimeout = .milliseconds(300)
        configuration.tick = .milliseconds(20)
        let stream = try await TCPConnection.connect(to: SocketAddress(ip: "127.0.0.1", port: listener.localAddress.port)!)
        let connection = try HTTP2Connection.start(over: stream, configuration: configuration)
        // The preface and SETTINGS (9 bytes after the magic) are read first by the script.
        let (pings, peer) = try await script.value
        #expect(pings == 3)
        #expect(await poll { connection.framesReceived(ofType: 0x6) == 3 })
        #expect(connection.isUsable)
        connection.close()
        peer.close()
    }
}

@Suite(.serialized, .enabled(if: Nghttpd.isInstalled, "nghttpd (nghttp2-server) is not installed"))
struct HTTP2IdleTests {
    @Test func aConnectionWithoutStreamsPastItsIdleTimeoutGoesAway() async throws {
        let server = try await Nghttpd()
        var configuration = HTTP2Configuration()
        configuration.idleTimeout = .milliseconds(300)
        configuration.tick = .milliseconds(50)
        let connection = try await server.connect(configuration: configuration)
        let stream = try #require(try connection.startStream(server.request("/small")))
        #expect(try await stream.collectBody() == Array("hello over h2".utf8))
        stream.cancel()
        #expect(await poll(within: .seconds(5)) { connection.isClosed })
        #expect(server.server.log.contains("recv GOAWAY frame"))
    }
}
