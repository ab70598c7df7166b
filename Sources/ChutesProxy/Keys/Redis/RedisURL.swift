import HTTP1

/// `RATE_LIMIT_REDIS_URL`: `redis://[[user]:password@]host[:port][/db]` (Valkey too).
struct RedisURL: Sendable, Equatable {
    var host: String
    var port = 6379
    var user: String?
    var password: String?
    var database = 0

    static let variable = "RATE_LIMIT_REDIS_URL"

    /// Parses the URL; the error names the setting, never the password.
    init(_ text: String) throws(ConfigurationError) {
        func fail(_ problem: String) -> ConfigurationError { ConfigurationError(variable: Self.variable, problem: problem) }
        guard text.hasPrefix("redis://") else { throw fail("must start with redis:// (redis://[user:password@]host[:port][/db]); TLS (rediss://) is not supported") }
        var rest = Substring(text.dropFirst("redis://".count))
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            let colon = credentials.firstIndex(of: ":")
            let user = colon.map { credentials[..<$0] } ?? ""
            let password = colon.map { credentials[credentials.index(after: $0)...] } ?? credentials
            guard let decodedUser = PercentDecoding.decode(user, plusIsSpace: false), let decodedPassword = PercentDecoding.decode(password, plusIsSpace: false) else {
                throw fail("the user or password is not valid percent-encoding")
            }
            self.user = decodedUser.isEmpty ? nil : decodedUser
            self.password = decodedPassword.isEmpty ? nil : decodedPassword
        }
        if let slash = rest.firstIndex(of: "/") {
            let db = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !db.isEmpty {
                guard let number = Int(db), (0...1_000_000).contains(number) else { throw fail("the database '\(db)' is not a number") }
                database = number
            }
        }
        var hostPart = rest
        if hostPart.hasPrefix("[") {
            guard let close = hostPart.firstIndex(of: "]") else { throw fail("an IPv6 address needs its closing ]") }
            host = String(hostPart[hostPart.index(after: hostPart.startIndex)..<close])
            hostPart = hostPart[hostPart.index(after: close)...]
            if hostPart.hasPrefix(":") {
                guard let number = Int(hostPart.dropFirst()), (1...65535).contains(number) else { throw fail("the port is not a number from 1 to 65535") }
                port = number
            } else if !hostPart.isEmpty {
                throw fail("unexpected '\(hostPart)' after the address")
            }
        } else if let colon = hostPart.lastIndex(of: ":") {
            host = String(hostPart[..<colon])
            guard let number = Int(hostPart[hostPart.index(after: colon)...]), (1...65535).contains(number) else { throw fail("the port is not a number from 1 to 65535") }
            port = number
        } else {
            host = String(hostPart)
        }
        guard !host.isEmpty else { throw fail("names no host") }
    }

    /// The URL with the password replaced, for `--print-config` and the log.
    var redacted: String {
        let credentials = password != nil ? "\(user ?? ""):<redacted>@" : user.map { "\($0)@" } ?? ""
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "redis://\(credentials)\(shownHost):\(port)/\(database)"
    }
}
