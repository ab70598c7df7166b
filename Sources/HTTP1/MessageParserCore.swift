import Glibc

/// What request and response parsing share: the input buffer, finding and splitting a head,
/// and the body framings (sized, chunked, until close).
struct MessageParserCore: Sendable {
    enum Framing: Equatable {
        case none
        case length(Int)
        case chunked
        case untilClose
    }

    enum Output: Equatable {
        case body(ArraySlice<UInt8>)
        case end
    }

    private enum BodyState: Equatable {
        case length(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case untilClose
    }

    let limits: HTTPParserLimits
    /// Lines must end in CRLF (requests): a bare LF is refused rather than read as a line end,
    /// since another server in front of or behind the proxy might not read it so (RFC 9112
    /// allows either; refusing removes the ambiguity smuggling needs).
    let requiresCRLF: Bool
    private(set) var buffer: [UInt8] = []
    /// Index of the first byte not yet consumed.
    private(set) var start = 0
    /// Where the search for the end of the head resumes.
    private var scanned = 0
    private var body: BodyState?
    private var bodyBytes = 0
    private var trailerBytes = 0

    /// The most storage kept for the next message once the buffer is all consumed.
    static let retainedCapacity = 16 << 10

    init(limits: HTTPParserLimits, requiresCRLF: Bool = false) {
        self.limits = limits
        self.requiresCRLF = requiresCRLF
    }

    var inBody: Bool { body != nil }

    var hasUnconsumedBytes: Bool { start < buffer.count }

    mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    mutating func feed(_ bytes: some Collection<UInt8>) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// Lets go of consumed bytes now, rather than at the next `feed`, which may be seconds or
    /// minutes away; when everything is consumed, of the storage too (past `keptWhileWaiting`).
    mutating func dropConsumed() {
        guard start == buffer.count, buffer.capacity > Self.keptWhileWaiting else { return compact() }
        buffer = []
        scanned -= start
        start = 0
    }

    /// The most storage kept, all consumed, while the next bytes are awaited: one small
    /// message's worth.
    static let keptWhileWaiting = 1 << 10

    /// Drops consumed bytes once they are a good share of the buffer, so a long keep-alive
    /// connection does not grow it and a short one does not pay a move per request. Storage
    /// grown past `retainedCapacity` by a large message is let go once it is all consumed:
    /// a connection that carried one 48 KB request and then streams for minutes, or idles,
    /// does not keep it.
    private mutating func compact() {
        guard start > 0 else { return }
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= Self.retainedCapacity)
        } else if start >= 4096 || start * 2 >= buffer.count {
            buffer.removeSubrange(0..<start)
        } else {
            return
        }
        scanned -= start
        start = 0
    }

    /// The lines of the next complete head (without line ends), consuming it; nil when the
    /// head is not complete yet. Leading empty lines are skipped, as RFC 9112 suggests.
    mutating func takeHead() throws(HTTPParseError) -> [ArraySlice<UInt8>]? {
        while start < buffer.count {
            if buffer[start] == 10 {
                start += 1
            } else if buffer[start] == 13 && start + 1 < buffer.count && buffer[start + 1] == 10 {
                start += 2
            } else {
                break
            }
        }
        let end = buffer.withUnsafeBufferPointer { bytes -> Int? in
            var index = max(scanned, start)
            while index < bytes.count {
                guard let found = memchr(bytes.baseAddress! + index, 10, bytes.count - index) else { break }
                let newline = bytes.baseAddress!.distance(to: found.assumingMemoryBound(to: UInt8.self))
                // The head ends at an empty line: "\n\n" or "\n\r\n".
                if newline + 1 < bytes.count && bytes[newline + 1] == 10 { return newline + 2 }
                if newline + 2 < bytes.count && bytes[newline + 1] == 13 && bytes[newline + 2] == 10 { return newline + 3 }
                if newline + 2 >= bytes.count {
                    index = newline
                    break
                }
                index = newline + 1
            }
            scanned = max(start, min(index, bytes.count))
            return nil
        }
        guard let end else {
            if buffer.count - start > limits.maxHeaderBytes {
                throw HTTPParseError(status: .requestHeaderFieldsTooLarge, reason: "header section exceeds \(limits.maxHeaderBytes) bytes")
            }
            return nil
        }
        guard end - start <= limits.maxHeaderBytes else {
            throw HTTPParseError(status: .requestHeaderFieldsTooLarge, reason: "header section exceeds \(limits.maxHeaderBytes) bytes")
        }
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = start
        for index in start..<end where buffer[index] == 10 {
            var line = buffer[lineStart..<index]
            if line.last == 13 {
                line = line.dropLast()
            } else if requiresCRLF {
                throw .malformed("a line ends in a bare LF")
            }
            if !line.isEmpty { lines.append(line) }
            lineStart = index + 1
        }
        start = end
        scanned = end
        return lines
    }

    /// Parses header lines into fields.
    func parseFields(_ lines: ArraySlice<ArraySlice<UInt8>>) throws(HTTPParseError) -> HTTPHeaders {
        guard lines.count <= limits.maxHeaderCount else {
            throw HTTPParseError(status: .requestHeaderFieldsTooLarge, reason: "more than \(limits.maxHeaderCount) header fields")
        }
        var fields: [(name: String, value: String)] = []
        fields.reserveCapacity(lines.count)
        for line in lines {
            guard let first = line.first, first != 32, first != 9 else {
                throw .malformed("obsolete line folding in header fields")
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
                throw .malformed("header field without a colon")
            }
            let name = line[line.startIndex..<colon]
            guard !name.isEmpty, name.allSatisfy(isTokenByte) else {
                throw .malformed("invalid header field name")
            }
            var value = line[(colon + 1)...]
            while let byte = value.first, byte == 32 || byte == 9 { value = value.dropFirst() }
            while let byte = value.last, byte == 32 || byte == 9 { value = value.dropLast() }
            guard !value.contains(where: { $0 == 0 || $0 == 13 || $0 == 10 }) else {
                throw .malformed("invalid character in header field value")
            }
            fields.append((name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self)))
        }
        return HTTPHeaders(fields)
    }

    /// How a message's body is delimited, from its Transfer-Encoding and Content-Length.
    /// `default` is what applies when neither is present.
    func framing(for headers: HTTPHeaders, default: Framing) throws(HTTPParseError) -> Framing {
        var encodings: [String] = [], lengths: [String] = []
        for (name, value) in headers {
            if HTTPHeaders.equalIgnoringCase(name, "Transfer-Encoding") {
                encodings.append(value)
            } else if HTTPHeaders.equalIgnoringCase(name, "Content-Length") {
                lengths.append(value)
            }
        }
        if !encodings.isEmpty {
            guard lengths.isEmpty else { throw .malformed("both Transfer-Encoding and Content-Length") }
            let codings = encodings.flatMap { $0.split(separator: ",") }.map { $0.trimmingOptionalWhitespace.lowercased() }
            // RFC 9112 6.3: chunked anywhere but once and last leaves the length unknowable.
            if codings.contains("chunked") && (codings.last != "chunked" || codings.count { $0 == "chunked" } > 1) {
                throw .malformed("chunked must be the final transfer coding, applied once")
            }
            guard codings == ["chunked"] else {
                throw HTTPParseError(status: .notImplemented, reason: "unsupported transfer coding '\(encodings.joined(separator: ", "))'")
            }
            return .chunked
        }
        guard !lengths.isEmpty else { return `default` }
        // Repeated values (`5, 5`, or two fields) are accepted only when they all agree.
        var agreed: Substring?
        for value in lengths {
            for part in value.split(separator: ",") {
                let candidate = part.trimmingOptionalWhitespace
                if let agreed, agreed != candidate { throw .malformed("invalid Content-Length") }
                agreed = candidate
            }
        }
        guard let text = agreed, !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
            throw .malformed("invalid Content-Length")
        }
        guard let length = Int(text) else {
            throw HTTPParseError(status: .contentTooLarge, reason: "body exceeds \(limits.maxBodyBytes) bytes")
        }
        return .length(length)
    }

    /// Starts reading a body with the given framing; `.end` is returned at once for none.
    mutating func beginBody(_ framing: Framing) throws(HTTPParseError) -> Output? {
        bodyBytes = 0
        trailerBytes = 0
        switch framing {
        case .none, .length(0):
            return .end
        case .length(let length):
            guard length <= limits.maxBodyBytes else {
                throw HTTPParseError(status: .contentTooLarge, reason: "body of \(length) bytes exceeds \(limits.maxBodyBytes) bytes")
            }
            body = .length(remaining: length)
        case .chunked:
            body = .chunkSize
        case .untilClose:
            body = .untilClose
        }
        return nil
    }

    /// The next piece of the body being read; nil when more bytes are needed.
    mutating func nextBodyOutput() throws(HTTPParseError) -> Output? {
        while let state = body {
            switch state {
            case .length(let remaining):
                guard start < buffer.count else { return nil }
                let count = min(remaining, buffer.count - start)
                let part = buffer[start..<(start + count)]
                start += count
                body = remaining == count ? nil : .length(remaining: remaining - count)
                if body == nil { pendingEnd = true }
                return .body(part)
            case .untilClose:
                guard start < buffer.count else { return nil }
                let part = buffer[start...]
                start = buffer.count
                try countBody(part.count)
                return .body(part)
            case .chunkSize:
                guard let line = try takeLine(limit: 1024, what: "chunk size line") else { return nil }
                let digits = line.prefix { $0 != UInt8(ascii: ";") }.drop { $0 == 32 || $0 == 9 }
                let trimmed = digits.reversed().drop { $0 == 32 || $0 == 9 }.reversed()
                guard !trimmed.isEmpty, trimmed.count <= 15, trimmed.allSatisfy(isHexDigitByte),
                    let size = Int(String(decoding: trimmed, as: UTF8.self), radix: 16)
                else {
                    throw .malformed("invalid chunk size")
                }
                guard Self.areValidChunkExtensions(line[(line.startIndex + line.prefix { $0 != UInt8(ascii: ";") }.count)...]) else {
                    throw .malformed("invalid chunk extension")
                }
                body = size == 0 ? .trailers : .chunkData(remaining: size)
            case .chunkData(let remaining):
                guard start < buffer.count else { return nil }
                let count = min(remaining, buffer.count - start)
                try countBody(count)
                let part = buffer[start..<(start + count)]
                start += count
                body = remaining == count ? .chunkDataEnd : .chunkData(remaining: remaining - count)
                return .body(part)
            case .chunkDataEnd:
                guard let line = try takeLine(limit: 2, what: "chunk end") else { return nil }
                guard line.isEmpty else { throw .malformed("chunk data longer than its size") }
                body = .chunkSize
            case .trailers:
                guard let line = try takeLine(limit: limits.maxHeaderBytes, what: "trailer section") else { return nil }
                trailerBytes += line.count + 2
                guard trailerBytes <= limits.maxHeaderBytes else {
                    throw HTTPParseError(status: .requestHeaderFieldsTooLarge, reason: "trailer section exceeds \(limits.maxHeaderBytes) bytes")
                }
                if line.isEmpty {
                    body = nil
                    return .end
                }
            }
        }
        if pendingEnd {
            pendingEnd = false
            return .end
        }
        return nil
    }

    private var pendingEnd = false

    /// True when the body is complete but its `.end` has not been reported yet.
    var hasPendingEnd: Bool { pendingEnd }

    /// Reports `.end` on the next call, after the head was reported.
    mutating func deferEnd(_ output: Output) {
        pendingEnd = output == .end
    }

    /// At end of input: the end of an until-close body, nil when idle, or an error for a
    /// message cut short.
    mutating func finish() throws(HTTPParseError) -> Output? {
        if pendingEnd {
            pendingEnd = false
            return .end
        }
        if body == .untilClose {
            body = nil
            return .end
        }
        guard body == nil && start == buffer.count else {
            throw .malformed("connection closed before the message was complete")
        }
        return nil
    }

    private mutating func countBody(_ count: Int) throws(HTTPParseError) {
        bodyBytes += count
        guard bodyBytes <= limits.maxBodyBytes else {
            throw HTTPParseError(status: .contentTooLarge, reason: "body exceeds \(limits.maxBodyBytes) bytes")
        }
    }

    /// One line ending in LF (CR before it dropped); nil when incomplete.
    ///
    /// The error must not depend on where the input was split, so "too long" (which an
    /// incomplete line can already show) is checked before the line end is judged, and an
    /// incomplete line is refused only when no line end could bring it within the limit: its
    /// bytes, less a final CR that may be the start of CRLF, exceed `limit`.
    private mutating func takeLine(limit: Int, what: String) throws(HTTPParseError) -> ArraySlice<UInt8>? {
        guard let newline = buffer[start...].firstIndex(of: 10) else {
            let pending = buffer[start...]
            if pending.count - (pending.last == 13 ? 1 : 0) > limit { throw .malformed("\(what) too long") }
            return nil
        }
        var line = buffer[start..<newline]
        let endsInCR = line.last == 13
        if endsInCR { line = line.dropLast() }
        guard line.count <= limit else { throw .malformed("\(what) too long") }
        if !endsInCR && requiresCRLF { throw .malformed("\(what) ends in a bare LF") }
        start = newline + 1
        return line
    }
}

extension MessageParserCore {
    /// RFC 9112 7.1.1: `*( BWS ";" BWS ext-name [ BWS "=" BWS ( token / quoted-string ) ] )`,
    /// then optional whitespace; the extensions themselves are ignored.
    static func areValidChunkExtensions(_ bytes: ArraySlice<UInt8>) -> Bool {
        var index = bytes.startIndex
        func skipSpace() { while index < bytes.endIndex, bytes[index] == 32 || bytes[index] == 9 { index += 1 } }
        func token() -> Bool {
            let begin = index
            while index < bytes.endIndex, isTokenByte(bytes[index]) { index += 1 }
            return index > begin
        }
        func quotedString() -> Bool {
            index += 1
            while index < bytes.endIndex {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") { index += 1; return true }
                if byte == UInt8(ascii: "\\") {
                    index += 1
                    guard index < bytes.endIndex, bytes[index] == 9 || bytes[index] >= 32, bytes[index] != 127 else { return false }
                } else if (byte < 32 && byte != 9) || byte == 127 {
                    return false
                }
                index += 1
            }
            return false
        }
        skipSpace()
        while index < bytes.endIndex {
            guard bytes[index] == UInt8(ascii: ";") else { return false }
            index += 1
            skipSpace()
            guard token() else { return false }
            skipSpace()
            if index < bytes.endIndex, bytes[index] == UInt8(ascii: "=") {
                index += 1
                skipSpace()
                if index < bytes.endIndex, bytes[index] == UInt8(ascii: "\"") {
                    guard quotedString() else { return false }
                } else {
                    guard token() else { return false }
                }
                skipSpace()
            }
        }
        return true
    }
}

@inline(__always)
func isHexDigitByte(_ byte: UInt8) -> Bool {
    (byte >= 48 && byte <= 57) || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "f"))
}

/// RFC 9110 token characters (method names, header field names).
@inline(__always)
func isTokenByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
        true
    case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
        UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
        UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
        true
    default:
        false
    }
}
