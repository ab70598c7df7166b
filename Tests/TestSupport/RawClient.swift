import AsyncIO
import HTTP1

/// A client that writes raw bytes and reads parsed responses.
public final class RawClient {
    public let connection: TCPConnection
    private var parser = HTTPResponseParser()

    public init(connection: TCPConnection) {
        self.connection = connection
    }

    /// Connects to `port` on 127.0.0.1.
    public static func connect(port: Int) async throws -> RawClient {
        RawClient(connection: try await TCPConnection.connect(to: SocketAddress(ip: "127.0.0.1", port: port)!))
    }

    public func send(_ text: String) async throws {
        try await connection.write(Array(text.utf8))
    }

    public struct Response {
        public var head: HTTPResponseHead
        public var body: [UInt8]
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// Reads one whole response; nil when the server closed first.
    public func response(toHEAD: Bool = false, timeout: Duration = .seconds(10)) async throws -> Response? {
        parser.expectResponse(toHEAD: toHEAD)
        var head: HTTPResponseHead?
        var body: [UInt8] = []
        let deadline = Deadline.after(timeout)
        while true {
            while let event = try parser.next() {
                switch event {
                case .head(let parsed): head = parsed
                case .body(let part): body += part
                case .end: return head.map { Response(head: $0, body: body) }
                }
            }
            let bytes = try await connection.read(deadline: deadline)
            if bytes.isEmpty {
                if head != nil, let event = try parser.finish(), event == .end {
                    return Response(head: head!, body: body)
                }
                return nil
            }
            parser.feed(bytes)
        }
    }

    /// Everything the server sends until it closes the connection.
    public func readToEnd(timeout: Duration = .seconds(20)) async throws -> [UInt8] {
        var received: [UInt8] = []
        let deadline = Deadline.after(timeout)
        while true {
            let bytes = try await connection.read(deadline: deadline)
            if bytes.isEmpty { return received }
            received += bytes
        }
    }

    /// True when the server closes the connection (end of stream) before `timeout`.
    public func seesClose(within timeout: Duration = .seconds(10)) async -> Bool {
        do {
            while true {
                let bytes = try await connection.read(deadline: .after(timeout))
                if bytes.isEmpty { return true }
            }
        } catch {
            return false
        }
    }
}
