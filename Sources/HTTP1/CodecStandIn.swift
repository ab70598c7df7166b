// TEMPORARY stand-in for the HTTP/1 codecs being written on branch `http-codecs`
// (contract: /work/specs/http1-codecs-api.md), only so the client can be built and tested
// before that branch lands. Deleted when it is merged; nothing here is meant to stay.

public enum HTTPVersion: Sendable, Equatable { case http1_0, http1_1 }

public struct HTTPHeaders: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    public typealias Element = (name: String, value: String)
    private var fields: [(name: String, value: String)]

    public init() { fields = [] }
    public init(_ fields: [(name: String, value: String)]) { self.fields = fields }
    public init(dictionaryLiteral elements: (String, String)...) { fields = elements.map { (name: $0.0, value: $0.1) } }

    public subscript(name: String) -> String? {
        fields.first { $0.name.lowercased() == name.lowercased() }?.value
    }
    public func values(for name: String) -> [String] {
        fields.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }
    public mutating func add(name: String, value: String) { fields.append((name, value)) }
    public mutating func remove(name: String) { fields.removeAll { $0.name.lowercased() == name.lowercased() } }
    public mutating func replaceOrAdd(name: String, value: String) { remove(name: name); add(name: name, value: value) }
    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }
    public static func == (a: HTTPHeaders, b: HTTPHeaders) -> Bool {
        a.fields.count == b.fields.count && zip(a.fields, b.fields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }
}

public struct HTTPResponseHead: Sendable, Equatable {
    public var status: Int
    public var reason: String
    public var version: HTTPVersion
    public var headers: HTTPHeaders
}

public struct HTTPParserLimits: Sendable {
    public var maxHeaderBytes: Int = 64 * 1024
    public var maxBodyBytes: Int = 32 * 1024 * 1024
    public var maxHeaderCount: Int = 100
}

public struct HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var reason: String
    public var description: String { "\(status): \(reason)" }
}

public struct HTTPResponseParser: Sendable {
    public enum Event: Sendable, Equatable { case head(HTTPResponseHead), body(ArraySlice<UInt8>), end }
    private enum Mode: Sendable { case head, length(Int), chunkSize, chunkData(Int), chunkDataEnd, trailers, untilClose, done }
    private var buffer: [UInt8] = []
    private var mode: Mode = .head
    private var toHEAD = false
    public private(set) var isKeepAlive = false
    private var keepAliveAfterBody = false

    public init() {}

    public mutating func expectResponse(toHEAD: Bool) { self.toHEAD = toHEAD; mode = .head }
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) { buffer += bytes }
    public mutating func feed(_ bytes: [UInt8]) { buffer += bytes }

    private mutating func line() -> [UInt8]? {
        guard let index = buffer.firstIndex(of: 10) else { return nil }
        var line = Array(buffer[..<index])
        if line.last == 13 { line.removeLast() }
        buffer.removeFirst(index + 1)
        return line
    }

    public mutating func next() throws(HTTPParseError) -> Event? {
        while true {
            switch mode {
            case .head:
                guard let end = headEnd() else { return nil }
                let text = String(decoding: buffer[..<end], as: UTF8.self)
                buffer.removeFirst(end + 4)
                var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)
                let status = lines.removeFirst().split(separator: " ", maxSplits: 2)
                guard status.count >= 2, status[0].hasPrefix("HTTP/1."), let code = Int(status[1]) else {
                    throw HTTPParseError(status: 502, reason: "bad status line")
                }
                var headers = HTTPHeaders()
                for line in lines {
                    guard let colon = line.firstIndex(of: ":") else { throw HTTPParseError(status: 502, reason: "bad header") }
                    headers.add(name: String(line[..<colon]), value: line[line.index(after: colon)...].trimmingSpaces)
                }
                let version: HTTPVersion = status[0] == "HTTP/1.0" ? .http1_0 : .http1_1
                if (100..<200).contains(code) { continue }
                let connection = headers["connection"]?.lowercased() ?? ""
                keepAliveAfterBody = version == .http1_1 ? !connection.contains("close") : connection.contains("keep-alive")
                if toHEAD || code == 204 || code == 304 {
                    mode = .done
                } else if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
                    mode = .chunkSize
                } else if let length = headers["content-length"].flatMap({ Int($0) }) {
                    mode = length == 0 ? .done : .length(length)
                } else {
                    mode = .untilClose
                    keepAliveAfterBody = false
                }
                isKeepAlive = false
                return .head(HTTPResponseHead(status: code, reason: status.count > 2 ? String(status[2]) : "", version: version, headers: headers))
            case .length(let remaining):
                guard !buffer.isEmpty else { return nil }
                let take = min(remaining, buffer.count)
                let chunk = buffer[..<take]
                buffer.removeFirst(take)
                mode = remaining == take ? .done : .length(remaining - take)
                return .body(ArraySlice(chunk))
            case .chunkSize:
                guard let line = line() else { return nil }
                let hex = String(decoding: line.prefix { $0 != UInt8(ascii: ";") }, as: UTF8.self).trimmingSpaces
                guard let size = Int(hex, radix: 16) else { throw HTTPParseError(status: 502, reason: "bad chunk size") }
                mode = size == 0 ? .trailers : .chunkData(size)
            case .chunkData(let remaining):
                guard !buffer.isEmpty else { return nil }
                let take = min(remaining, buffer.count)
                let chunk = buffer[..<take]
                buffer.removeFirst(take)
                mode = remaining == take ? .chunkDataEnd : .chunkData(remaining - take)
                return .body(ArraySlice(chunk))
            case .chunkDataEnd:
                guard line() != nil else { return nil }
                mode = .chunkSize
            case .trailers:
                guard let line = line() else { return nil }
                if line.isEmpty { mode = .done }
            case .untilClose:
                guard !buffer.isEmpty else { return nil }
                defer { buffer = [] }
                return .body(ArraySlice(buffer))
            case .done:
                mode = .head
                isKeepAlive = keepAliveAfterBody
                return .end
            }
        }
    }

    public mutating func finish() throws(HTTPParseError) -> Event? {
        if case .untilClose = mode {
            mode = .head
            return .end
        }
        throw HTTPParseError(status: 502, reason: "truncated response")
    }

    private func headEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for index in 0...(buffer.count - 4) where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
            return index
        }
        return nil
    }
}

extension Substring {
    fileprivate var trimmingSpaces: String {
        var view = utf8[...]
        while let first = view.first, first == 32 || first == 9 { view = view.dropFirst() }
        while let last = view.last, last == 32 || last == 9 { view = view.dropLast() }
        return String(Substring(view))
    }
}
extension String {
    fileprivate var trimmingSpaces: String { Substring(self).trimmingSpaces }
}
