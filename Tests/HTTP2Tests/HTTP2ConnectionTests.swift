import AsyncIO
import Foundation
import HTTP2
import Locking
import TestSupport
import Testing

@Suite(.serialized, .enabled(if: Nghttpd.isInstalled, "nghttpd (nghttp2-server) is not installed"))
struct HTTP2ConnectionTests {
    @Test(arguments: [false, true])
    func aRequestGetsItsHeadAndBodyOverH2cAndTLS(tls: Bool) async throws {
        let server = try await Nghttpd(tls: tls)
        let connection = try await server.connect()
        if tls { #expect(connection.stream.negotiatedProtocol == "h2") }
        let stream = try #require(try connection.startStream(server.request("/small")))
        let head = try await stream.responseHead(deadline: .after(.seconds(5)))
        #expect(head.status == 200)
        #expect(head.headers.contains { $0.name == "content-length" && $0.value == "13" })
        #expect(try await stream.collectBody() == Array("hello over h2".utf8))
        connection.close()
    }

    @Test func manyRequestsShareOneConnectionAtOnce() async throws {
        let server = try await Nghttpd()
        let connection = try await server.connect()
        // All started before any is read: they are on the connection together.
        let streams = try (0..<20).map { _ in try #require(try connection.startStream(server.request("/large"))) }
        #expect(connection.activeStreams == 20)
        try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for stream in streams {
                group.addTask {
                    _ = try await stream.responseHead(deadline: .after(.seconds(5)))
                    return try await stream.collectBody()
                }
            }
            for try await body in group { #expect(body == Nghttpd.largeBody) }
        }
        #expect(await poll { connection.activeStreams == 0 })
        connection.close()
    }

    @Test func theServersMaxConcurrentStreamsLimitsTheConnection() async throws {
        let server = try await Nghttpd(arguments: ["-m", "2"])
        let connection = try await server.connect()
        // The first stream's head comes after the server's SETTINGS.
        let first = try #require(try connection.startStream(server.request("/large")))
        _ = try await first.responseHead(deadline: .after(.seconds(5)))
        #expect(connection.streamLimit == 2)
        let second = try #require(try connection.startStream(server.request("/large")))
        #expect(try connection.startStream(server.request("/small")) == nil)
        #expect(!connection.hasRoom)
        // A stream that ends makes room again.
        _ = try await second.responseHead(deadline: .after(.seconds(5)))
        _ = try await second.collectBody()
        #expect(await poll { connection.hasRoom })
        #expect(try connection.startStream(server.request("/small")) != nil)
        _ = first
        connection.close()
    }

    /// The unread stream holds its own window only: the other stream on the same connection
    /// gets a body four times the connection's window.
    @Test func aStreamNobodyReadsDoesNotStallTheOthers() async throws {
        let server = try await Nghttpd()
        var configuration = HTTP2Configuration()
        configuration.streamWindow = 256 * 1024
        configuration.connectionWindow = 512 * 1024
        let connection = try await server.connect(configuration: configuration)
        let unread = try #require(try connection.startStream(server.request("/large")))
        _ = try await unread.responseHead(deadline: .after(.seconds(5)))
        let read = try #require(try connection.startStream(server.request("/large")))
        _ = try await read.responseHead(deadline: .after(.seconds(5)))
        #expect(try await read.collectBody(deadline: .after(.seconds(5))) == Nghttpd.largeBody)
        // The unread one still has its whole body to give, a window at a time.
        #expect(try await unread.collectBody(deadline: .after(.seconds(5))) == Nghttpd.largeBody)
        connection.close()
    }

    @Test func aConsumerThatLeavesResetsItsStreamWithCancel() async throws {
        let server = try await Nghttpd()
        let connection = try await server.connect()
        // The stream's last reference goes at the end of this function.
        func openAndLeave() async throws -> Int32 {
            let stream = try #require(try connection.startStream(server.request("/large")))
            _ = try await stream.responseHead(deadline: .after(.seconds(5)))
            return stream.id
        }
        let id = try await openAndLeave()
        #expect(await poll { server.server.log.contains("recv RST_STREAM frame <length=4, flags=0x00, stream_id=\(id)>") })
        #expect(server.server.log.contains("(error_code=CANCEL(0x08))"))
        // The connection carries on.
        let next = try #require(try connection.startStream(server.request("/small")))
        #expect(try await next.collectBody() == Array("hello over h2".utf8))
        connection.close()
    }

    @Test func aRequestBodyLargerThanTheWindowsIsSentWhole() async throws {
        let server = try await Nghttpd(arguments: ["--echo-upload"])
        let connection = try await server.connect()
        let body = Array(Nghttpd.largeBody.prefix(300_000))
        let stream = try #require(try connection.startStream(server.request("/small", method: "POST", body: body)))
        #expect(try await stream.responseHead(deadline: .after(.seconds(5))).status == 200)
        #expect(try await stream.collectBody() == body)
        connection.close()
    }
}
