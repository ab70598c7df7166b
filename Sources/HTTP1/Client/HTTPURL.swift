/// An absolute `http` or `https` URL as the client needs it: the origin to connect to and
/// the path prefix requests are made under (`https://host/prefix` + `/v1/x` -> `/prefix/v1/x`).
public struct HTTPURL: Sendable, Hashable, CustomStringConvertible {
    /// Plain TCP or TLS (certificates always verified).
    public enum Scheme: String, Sendable, Hashable {
        case http, https
        var defaultPort: Int { self == .http ? 80 : 443 }
    }

    /// Whether connections use TLS.
    public let scheme: Scheme
    /// The host without IPv6 brackets: "llm.chutes.ai", "127.0.0.1", "::1".
    public let host: String
    /// The port given, or the scheme's default (80, 443).
    public let port: Int
    /// The path, without a trailing slash ("" for the root): "/prefix".
    public let path: String
    /// The query after '?', if any.
    public let query: String?

    /// Parses "http[s]://host[:port][/path][?query]"; nil for anything else.
    public init?(_ string: String) {
        let parts = string.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let scheme = Scheme(rawValue: parts[0].lowercased()) else { return nil }
        var rest = Substring(parts[1])
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        var query: String?
        if let mark = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: mark)...])
            rest = rest[..<mark]
        }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        var path = String(rest[slash...])
        while path.hasSuffix("/") { path.removeLast() }
        guard !authority.contains("@") else { return nil }  // no credentials in URLs

        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty, !host.contains(where: { $0 == " " || $0 == "/" }) else { return nil }
        var port = scheme.defaultPort
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else { return nil }
            port = value
        }
        self.init(scheme: scheme, host: host.lowercased(), port: port, path: path, query: query)
    }

    init(scheme: Scheme, host: String, port: Int, path: String, query: String?) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.path = path
        self.query = query
    }

    /// This URL with `suffix` ("/v1/chat/completions", may carry "?query") appended to its path.
    public func appending(_ suffix: String) -> HTTPURL {
        var addition = Substring(suffix)
        var query = self.query
        if let mark = addition.firstIndex(of: "?") {
            query = String(addition[addition.index(after: mark)...])
            addition = addition[..<mark]
        }
        var path = self.path
        if !addition.isEmpty && !addition.hasPrefix("/") { path += "/" }
        path += addition
        return HTTPURL(scheme: scheme, host: host, port: port, path: path, query: query)
    }

    /// The request-target for the request line: path and query, "/" at least.
    public var requestTarget: String {
        let path = self.path.isEmpty ? "/" : self.path
        return query.map { "\(path)?\($0)" } ?? path
    }

    /// The Host header's value: the port only when it is not the scheme's default.
    public var hostHeader: String {
        let name = host.utf8.contains(UInt8(ascii: ":")) ? "[\(host)]" : host
        return port == scheme.defaultPort ? name : "\(name):\(port)"
    }

    var origin: Origin { Origin(scheme: scheme, host: host, port: port) }

    /// The URL written out again, with the port only when it is not the default.
    public var description: String { "\(scheme.rawValue)://\(hostHeader)\(requestTarget)" }
}

/// Where connections go; the key of a connection pool.
struct Origin: Sendable, Hashable, CustomStringConvertible {
    let scheme: HTTPURL.Scheme
    let host: String
    let port: Int

    var description: String {
        let name = host.utf8.contains(UInt8(ascii: ":")) ? "[\(host)]" : host
        return "\(scheme.rawValue)://\(name):\(port)"
    }
}
