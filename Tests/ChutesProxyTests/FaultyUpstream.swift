import Foundation
import Glibc

/// An upstream on loopback that misbehaves on purpose, at the level of bytes on a socket:
/// resets, truncations, trickles, silence, oversized bodies and heads. Plain blocking sockets
/// on threads of its own (never the cooperative pool), so a fault can be exact: an RST is a
/// close with SO_LINGER 0, a trickle really sends one byte at a time.
final class FaultyUpstream: Sendable {
    enum Fault: String, CaseIterable, Sendable {
        case resetBeforeHead, resetAfterHead, resetMidChunk, htmlBadGateway, truncatedJSON
        case trickle, silence, hundredMegabyteBody, megabyteHead
    }

    let port: Int
    private let listener: Int32

    init(_ fault: Fault, streaming: Bool) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(listener, socketAddress, length) == 0 && listen(listener, 64) == 0 && getsockname(listener, socketAddress, &length) == 0
            }
        }
        guard bound else { throw POSIXError(.EADDRNOTAVAIL) }
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread {
            while true {
                let connection = accept(listener, nil, nil)
                if connection < 0 {
                    if errno == EINTR { continue }
                    return  // stop() closed the listener
                }
                Thread.detachNewThread { Self.serve(connection, fault: fault, streaming: streaming) }
            }
        }
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private static func serve(_ connection: Int32, fault: Fault, streaming: Bool) {
        guard readRequest(connection) else {
            close(connection)
            return
        }
        let eventStream = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
        let chunk = #"data: {"choices":[{"index":0,"delta":{"content":"partial"}}]}"# + "\n\n"
        switch fault {
        case .resetBeforeHead:
            reset(connection)
        case .resetAfterHead:
            send(connection, streaming ? eventStream : "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
            reset(connection)
        case .resetMidChunk:
            send(
                connection,
                (streaming ? eventStream : "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
                    + String(chunk.utf8.count, radix: 16) + "\r\n" + chunk + "100\r\n" + #"{"choices":[{"ind"#)
            reset(connection)
        case .htmlBadGateway:
            let page = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
            // Kept alive, like nginx's error pages: every request on the connection gets one.
            repeat {
                send(connection, "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: \(page.utf8.count)\r\n\r\n" + page)
            } while readRequest(connection)
            close(connection)
        case .truncatedJSON:
            let body = streaming ? "data: " + #"{"choices":[{"index":0,"delta":{"content":"# + "\n\n" : #"{"id":"x","choices":[{"index":0,"message":{"role":"assi"#
            let type = streaming ? "text/event-stream" : "application/json"
            send(connection, "HTTP/1.1 200 OK\r\nContent-Type: \(type)\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body)
            close(connection)
        case .trickle:
            for byte in "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n".utf8 {
                guard sendBytes(connection, [byte]) else { break }
                sleep(1)
            }
            close(connection)
        case .silence:
            drain(connection)
        case .hundredMegabyteBody:
            let total = 100 << 20
            send(
                connection,
                streaming
                    ? "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: \(total)\r\n\r\ndata: "
                    : "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(total)\r\n\r\n")
            let block = [UInt8](repeating: UInt8(ascii: "a"), count: 64 << 10)
            var sent = streaming ? 6 : 0
            while sent < total, sendBytes(connection, Array(block.prefix(total - sent))) { sent += block.count }
            close(connection)
        case .megabyteHead:
            send(connection, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
            let field = "X-Padding: " + String(repeating: "p", count: 1000) + "\r\n"
            for _ in 0..<1024 { guard sendBytes(connection, Array(field.utf8)) else { break } }
            send(connection, "Content-Length: 2\r\n\r\n{}")
            drain(connection)
        }
    }

    /// Reads one request head and its Content-Length body; false when the peer went away.
    private static func readRequest(_ connection: Int32) -> Bool {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            if let end = received.firstRange(of: Array("\r\n\r\n".utf8)) {
                let head = String(decoding: received[..<end.lowerBound], as: UTF8.self).lowercased()
                let length =
                    head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                if received.count - end.upperBound >= length { return true }
            }
            let count = recv(connection, &buffer, buffer.count, 0)
            guard count > 0 else { return false }
            received += buffer[..<count]
        }
    }

    @discardableResult
    private static func sendBytes(_ connection: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { Glibc.send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { return false }
            offset += count
        }
        return true
    }

    private static func send(_ connection: Int32, _ text: String) { sendBytes(connection, Array(text.utf8)) }

    /// Closes with SO_LINGER 0: the peer gets an RST, not a FIN.
    private static func reset(_ connection: Int32) {
        var option = linger(l_onoff: 1, l_linger: 0)
        setsockopt(connection, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
        close(connection)
    }

    /// Waits for the peer to close, then closes.
    private static func drain(_ connection: Int32) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while recv(connection, &buffer, buffer.count, 0) > 0 {}
        close(connection)
    }
}

/// This process's TCP connections whose remote end is `port` on loopback, from /proc: the
/// proxy runs in the test process, so these are its upstream connections.
func openConnections(toPort port: Int) -> Int {
    let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    var socketInodes = Set<String>()
    for descriptor in descriptors {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(descriptor)"),
            target.hasPrefix("socket:[")
        else { continue }
        socketInodes.insert(String(target.dropFirst(8).dropLast()))
    }
    let portHex = String(format: "%04X", port)
    var count = 0
    for table in ["/proc/self/net/tcp", "/proc/self/net/tcp6"] {
        guard let text = try? String(contentsOfFile: table, encoding: .utf8) else { continue }
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            guard fields.count > 9, fields[2].hasSuffix(":" + portHex), socketInodes.contains(String(fields[9])) else { continue }
            count += 1
        }
    }
    return count
}
