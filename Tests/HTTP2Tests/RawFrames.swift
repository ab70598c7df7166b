import AsyncIO

/// Hand-made HTTP/2 frames for scripted servers that misbehave on purpose (go away, fall
/// silent): what a real server would not do when asked.
enum RawFrames {
    static func frame(type: UInt8, flags: UInt8 = 0, stream: UInt32 = 0, payload: [UInt8] = []) -> [UInt8] {
        let length = payload.count
        return [UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF), type, flags] + bigEndian(stream) + payload
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    /// SETTINGS with (identifier, value) pairs.
    static func settings(_ entries: [(UInt16, UInt32)] = []) -> [UInt8] {
        frame(type: 0x4, payload: entries.flatMap { [UInt8($0.0 >> 8), UInt8($0.0 & 0xFF)] + bigEndian($0.1) })
    }

    static let settingsAcknowledgement = frame(type: 0x4, flags: 0x1)

    static func goAway(lastStream: UInt32, code: UInt32 = 0) -> [UInt8] {
        frame(type: 0x7, payload: bigEndian(lastStream) + bigEndian(code))
    }

    /// A response head of status 200 (HPACK static table entry 8), no other fields.
    static func ok(stream: UInt32, endStream: Bool = false) -> [UInt8] {
        frame(type: 0x1, flags: 0x4 | (endStream ? 0x1 : 0), stream: stream, payload: [0x88])
    }

    static func data(stream: UInt32, _ bytes: [UInt8], endStream: Bool = false) -> [UInt8] {
        frame(type: 0x0, flags: endStream ? 0x1 : 0, stream: stream, payload: bytes)
    }

    /// The client preface's fixed 24 bytes.
    static let clientMagic = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    /// Reads from `connection` until `count` bytes have come (or the end); returns them.
    static func read(atLeast count: Int, from connection: TCPConnection) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        while bytes.count < count {
            let chunk = try await connection.read(maxBytes: 65536, deadline: .after(.seconds(5)))
            if chunk.isEmpty { break }
            bytes += chunk
        }
        return bytes
    }
}

extension RawFrames {
    /// A server's side of the handshake: the client's preface and SETTINGS read, an empty
    /// SETTINGS and the acknowledgement of the client's written.
    static func answerPreface(of connection: TCPConnection) async throws {
        _ = try await read(atLeast: clientMagic.count + 9, from: connection)
        try await connection.write(settings() + settingsAcknowledgement)
    }

    /// Reads the client's preface, then frames until `count` of `type` have arrived; returns
    /// the last one's stream id.
    static func readPreface(thenFrameOfType type: UInt8, count: Int = 1, from connection: TCPConnection) async throws -> UInt32? {
        var seen = 0
        var pending = try await read(atLeast: clientMagic.count, from: connection)
        guard pending.count >= clientMagic.count else { return nil }
        pending.removeFirst(clientMagic.count)
        while true {
            while pending.count >= 9 {
                let length = Int(pending[0]) << 16 | Int(pending[1]) << 8 | Int(pending[2])
                guard pending.count >= 9 + length else { break }
                let stream = UInt32(pending[5] & 0x7F) << 24 | UInt32(pending[6]) << 16 | UInt32(pending[7]) << 8 | UInt32(pending[8])
                if pending[3] == type {
                    seen += 1
                    if seen == count { return stream }
                }
                pending.removeFirst(9 + length)
            }
            let more = try await connection.read(maxBytes: 65536, deadline: .after(.seconds(5)))
            if more.isEmpty { return nil }
            pending += more
        }
    }
}
