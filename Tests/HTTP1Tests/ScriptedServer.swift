import AsyncIO
import Foundation
import Locking
import TestSupport

@testable import HTTP1

/// One accepted connection of a `ScriptedServer`, with just enough request parsing for tests.
final class ServerConnection: @unchecked Sendable {
    // Used only by the handler task of its connection (never shared), hence unchecked.
    let stream: any ByteStream
    private var buffered: [UInt8] = []

    init(stream: any ByteStream) { self.stream = stream }

    struct Request {
        let head: String
        let body: [UInt8]
        var requestLine: Substring { head.split(separator: "\r\n").first ?? "" }
        func header(_ name: String) -> String? {
            for line in head.split(separator: "\r\n").dropFirst() {
                let parts = line.split(separator: ":", maxSplits: 1)
                if parts.count == 2, parts[0].lowercased() == name.lowercased() {
                    return parts[1].trimmingCharacters(in: .whitespaces)
                }
            }
            return nil
        }
    }

    /// The next request, or nil at end of stream.
    func readRequest() async throws -> Request? {
        while true {
            if let end = headEnd() {
                let head = String(decoding: buffered[..<end], as: UTF8.self)
                buffered.removeFirst(end + 4)
                let request = Request(head: head, body: [])
                let length = Int(request.header("content-length") ?? "0") ?? 0
                while buffered.count < length {
                    guard try await readMore() else { return nil }
                }
                let body = Array(buffered[..<length])
                buffered.removeFirst(length)
                return Request(head: head, body: body)
            }
            guard try await readMore() else { return nil }
        }
    }

    /// Waits for the client to close (true) or send more bytes (false).
    func readUntilEOF() async throws -> Bool {
        try await !readMore()
    }

    func write(_ text: String) async throws {
        try await stream.send(Array(text.utf8))
    }

    func write(_ bytes: [UInt8]) async throws {
        try await stream.send(bytes)
    }

    private func readMore() async throws -> Bool {
        let bytes = try await stream.receive()
        buffered += bytes
        return !bytes.isEmpty
    }

    private func headEnd() -> Int? {
        guard buffered.count >= 4 else { return nil }
        for index in 0...(buffered.count - 4)
        where buffered[index] == 13 && buffered[index + 1] == 10 && buffered[index + 2] == 13 && buffered[index + 3] == 10 {
            return index
        }
        return nil
    }
}

/// A loopback HTTP (or HTTPS) server whose every connection runs `handler`; it counts the
/// connections it accepts.
final class ScriptedServer: Sendable {
    let listener: TCPListener
    private let acceptedCount = Counter()
    private let loop = Mutex<Task<Void, Never>?>(nil)
    let scheme: String

    init(tls: TestCertificates.Pair? = nil, handler: @escaping @Sendable (ServerConnection) async throws -> Void) throws {
        listener = try TCPListener(host: "127.0.0.1", port: 0)
        let context = try tls.map { try TLSContext(.server(certificateChainFile: $0.certificate, privateKeyFile: $0.key)) }
        scheme = tls == nil ? "http" : "https"
        let listener = self.listener
        let task = Task { [acceptedCount] in
            await withDiscardingTaskGroup { group in
                while let connection = try? await listener.accept() {
                    acceptedCount.increment()
                    group.addTask {
                        let stream: any ByteStream
                        if let context {
                            guard let secure = try? await TLSStream.accept(over: connection, context: context) else { return }
                            stream = secure
                        } else {
                            stream = connection
                        }
                        try? await handler(ServerConnection(stream: stream))
                        stream.close()
                    }
                }
                group.cancelAll()
            }
        }
        loop.withLock { $0 = task }
    }

    deinit {
        listener.close()
        loop.withLock { $0?.cancel() }
    }

    var accepted: Int { acceptedCount.value }
    var port: Int { listener.localAddress.port }
    func url(_ path: String = "", host: String = "127.0.0.1") -> HTTPURL {
        HTTPURL("\(scheme)://\(host):\(port)\(path)")!
    }
}

extension Signal {
    /// True when fired within `timeout` (the bound of a test that must not hang, not a
    /// synchronisation sleep).
    func wait(timeout: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await self.wait()
                return true
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next()!
            if !first { self.fire() }  // releases the child still waiting
            group.cancelAll()
            return first
        }
    }
}
