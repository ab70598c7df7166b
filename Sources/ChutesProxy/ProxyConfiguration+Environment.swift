import AsyncIO
import Glibc
import HTTP1
import JSON
import Logging
import Translation

extension ProxyConfiguration {
    /// Reads the configuration from environment variables (names compatible with the
    /// reference Python proxy; the README lists them). An invalid value throws, naming the
    /// variable.
    public init(environment: [String: String]) throws(ConfigurationError) {
        self.init()
        let reader = EnvironmentReader(environment)
        if let host = reader.text("HOST") { self.host = host }
        if let port = try reader.integer("PORT", in: 0...65535) { self.port = port }

        if let base = reader.text("CHUTES_BASE_URL") {
            guard let url = HTTPURL(base.hasSuffix("/") ? String(base.dropLast()) : base) else {
                throw ConfigurationError(variable: "CHUTES_BASE_URL", problem: "'\(base)' is not an http(s) URL")
            }
            upstreamBaseURL = url
        }
        upstreamAPIKey = reader.text("CHUTES_API_KEY")
        if let style = reader.text("CHUTES_AUTH_STYLE") {
            // The reference proxy also named the header styles after the header.
            switch style.lowercased() {
            case "header", "x-api-key", "authorization": authStyle = .header
            case "env": authStyle = .env
            case "both": authStyle = .both
            default:
                throw ConfigurationError(variable: "CHUTES_AUTH_STYLE", problem: "'\(style)' is not one of header, env, both (or x-api-key, authorization)")
            }
        }
        if let text = reader.text("MODEL_MAP") { modelMap = try ModelMap(json: text) }
        switch (reader.text("ROUTES"), reader.text("ROUTES_FILE")) {
        case (let text?, nil):
            routes = try RouteTable(json: text, variable: "ROUTES")
        case (nil, let path?):
            guard let text = Self.readTextFile(path) else { throw ConfigurationError(variable: "ROUTES_FILE", problem: "cannot read \(path)") }
            routes = try RouteTable(json: text, variable: "ROUTES_FILE")
        case (_?, _?):
            throw ConfigurationError(variable: "ROUTES_FILE", problem: "ROUTES is set too; set one of them")
        case (nil, nil):
            break
        }
        if let value = try reader.integer("BREAKER_FAILURES", in: 1...1000) { circuitBreaker.failureThreshold = value }
        if let value = try reader.seconds("BREAKER_COOLDOWN") { circuitBreaker.coolDown = value }
        if let value = try reader.seconds("BREAKER_MAX_COOLDOWN") {
            guard value >= circuitBreaker.coolDown else {
                throw ConfigurationError(variable: "BREAKER_MAX_COOLDOWN", problem: "is shorter than BREAKER_COOLDOWN")
            }
            circuitBreaker.maximumCoolDown = value
        } else {
            circuitBreaker.maximumCoolDown = max(circuitBreaker.maximumCoolDown, circuitBreaker.coolDown)
        }
        if let text = reader.text("TOOL_NAME_MAP") {
            do {
                toolNameRules = try ToolNameMapping.Rules(json: text)
            } catch {
                throw ConfigurationError(variable: "TOOL_NAME_MAP", problem: error.message)
            }
        }
        if let value = try reader.flag("AUTO_FIX_MODEL_CASE") { autoFixModelCase = value }
        if let value = try reader.flag("DEBUG_PROXY") {
            debug = value
            if value { logLevel = .debug }
        }
        if let text = reader.text("LOG_LEVEL") {
            guard let level = Logger.Level(rawValue: text.lowercased()) else {
                throw ConfigurationError(variable: "LOG_LEVEL", problem: "'\(text)' is not one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            logLevel = level
            if level <= .debug { debug = true }
        }
        if let value = try reader.flag("METRICS_ENABLED") { metricsEnabled = value }
        if let value = try reader.flag("METRICS_REQUIRE_KEY") { metricsRequireKey = value }
        inboundKeys = try Self.inboundKeys(reader)
        if !inboundKeys.isEmpty {
            if let style = reader.text("CHUTES_AUTH_STYLE"), style.lowercased() != "env" {
                throw ConfigurationError(variable: "CHUTES_AUTH_STYLE", problem: "'\(style)' forwards client keys, but PROXY_API_KEYS makes clients send proxy keys: leave it unset or set it to env")
            }
            authStyle = .env
        }
        if let text = reader.text("LOG_FORMAT") {
            guard let format = LogFormat(rawValue: text.lowercased()) else {
                throw ConfigurationError(variable: "LOG_FORMAT", problem: "'\(text)' is not json or text")
            }
            logFormat = format
        }
        if let value = try reader.flag("PROXY_BACKOFF_ON_429") { backoffOn429 = value }
        if let value = try reader.integer("PROXY_MAX_RETRY_ON_429", in: 0...20) { maxRetriesOn429 = value }
        if let value = try reader.seconds("PROXY_MAX_RETRY_AFTER") { maxRetryAfter = value }
        if let value = try reader.seconds("MODEL_DISCOVERY_TTL") { modelDiscoveryTTL = value }
        if let value = reader.text("TOOL_CALL_PARSER") {
            let known = ["auto", "none"] + ToolCallFamily.allCases.map(\.rawValue)
            guard known.contains(value.lowercased().replacing("-", with: "_")) else {
                throw ConfigurationError(variable: "TOOL_CALL_PARSER", problem: "'\(value)' is not one of \(known.joined(separator: ", "))")
            }
            toolCallParser = value
        }
        if let value = try reader.integer("MAX_TOKENS_CAP", in: 1...10_000_000) { maxTokensCap = value }
        if let text = reader.text("THINKING_TEMPLATE_KWARGS") {
            guard let object = (try? JSONValue(parsing: text))?.objectValue else {
                throw ConfigurationError(variable: "THINKING_TEMPLATE_KWARGS", problem: "must be a JSON object, e.g. {\"thinking\":true}")
            }
            thinkingTemplateKwargs = object
        }
        if let value = try reader.seconds("STREAM_PING_INTERVAL") { pingInterval = value }
        if let value = try reader.seconds("UPSTREAM_CONNECT_TIMEOUT") { upstreamConnectTimeout = value }
        if let value = try reader.seconds("UPSTREAM_TIMEOUT") { upstreamResponseTimeout = value }
        if let value = try reader.seconds("UPSTREAM_STREAM_IDLE_TIMEOUT") { upstreamStreamIdleTimeout = value }

        if let caFile = reader.text("CHUTES_CA_FILE") {
            guard access(caFile, R_OK) == 0 else {
                throw ConfigurationError(variable: "CHUTES_CA_FILE", problem: "cannot read \(caFile)")
            }
            upstreamTrustRoots = .file(caFile)
        }
        switch (reader.text("TLS_CERT_FILE"), reader.text("TLS_KEY_FILE")) {
        case (nil, nil):
            break
        case let (certificate?, key?):
            do {
                http.tls = try TLSContext(.server(certificateChainFile: certificate, privateKeyFile: key))
            } catch {
                throw ConfigurationError(variable: "TLS_CERT_FILE", problem: "cannot serve HTTPS with \(certificate) and \(key): \(error)")
            }
        case (nil, _?):
            throw ConfigurationError(variable: "TLS_CERT_FILE", problem: "TLS_KEY_FILE is set but TLS_CERT_FILE is not; set both to serve HTTPS")
        case (_?, nil):
            throw ConfigurationError(variable: "TLS_KEY_FILE", problem: "TLS_CERT_FILE is set but TLS_KEY_FILE is not; set both to serve HTTPS")
        }
        try validate()
    }

    /// `PROXY_API_KEYS` (comma-separated) and the lines of `PROXY_API_KEYS_FILE` (blank
    /// lines and `#` comments skipped), together.
    private static func inboundKeys(_ reader: EnvironmentReader) throws(ConfigurationError) -> InboundKeys {
        var keys: [(key: Substring, variable: String)] = []
        if let list = reader.text("PROXY_API_KEYS") {
            keys += list.split(separator: ",").map { ($0.trimmingSpaces, "PROXY_API_KEYS") }.filter { !$0.0.isEmpty }
        }
        if let path = reader.text("PROXY_API_KEYS_FILE") {
            guard let text = readTextFile(path) else {
                throw ConfigurationError(variable: "PROXY_API_KEYS_FILE", problem: "cannot read \(path)")
            }
            let lines = text.split(whereSeparator: \.isNewline).map(\.trimmingSpaces).filter { !$0.isEmpty && !$0.hasPrefix("#") }
            guard !lines.isEmpty else {
                throw ConfigurationError(variable: "PROXY_API_KEYS_FILE", problem: "\(path) holds no key (one per line)")
            }
            keys += lines.map { ($0, "PROXY_API_KEYS_FILE") }
        }
        for (key, variable) in keys {
            guard key.utf8.count <= InboundKeys.maximumLength, key.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
                throw ConfigurationError(variable: variable, problem: "a key must be printable ASCII without spaces, at most \(InboundKeys.maximumLength) characters")
            }
        }
        return InboundKeys(keys.map { String($0.key) })
    }

    /// A whole (small) text file, or nil when it cannot be read.
    private static func readTextFile(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            bytes += buffer[..<count]
            if count < buffer.count { break }
            if bytes.count > 1 << 20 { return nil }
        }
        return ferror(file) == 0 ? String(decoding: bytes, as: UTF8.self) : nil
    }

    /// The process environment as a dictionary.
    public static func processEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let pair = String(cString: pointer)
            if let equals = pair.firstIndex(of: "=") {
                result[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
            }
            entry += 1
        }
        return result
    }
}

/// Typed reads of environment variables; empty values count as unset.
private struct EnvironmentReader {
    let environment: [String: String]

    init(_ environment: [String: String]) { self.environment = environment }

    func text(_ name: String) -> String? {
        guard let value = environment[name]?.trimmingSpaces, !value.isEmpty else { return nil }
        return String(value)
    }

    func integer(_ name: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let text = text(name) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationError(variable: name, problem: "'\(text)' is not a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// The longest duration a setting may have: a year; more is a typo, not a timeout.
    static let maximumSeconds = 365 * 86_400

    func seconds(_ name: String) throws(ConfigurationError) -> Duration? {
        guard let text = text(name) else { return nil }
        guard let value = Double(text), value <= Double(Self.maximumSeconds),
              let duration = Duration.seconds(untrusted: value, maximum: .seconds(Self.maximumSeconds)) else {
            throw ConfigurationError(variable: name, problem: "'\(text)' is not a number of seconds from 0 to \(Self.maximumSeconds)")
        }
        return duration
    }

    func flag(_ name: String) throws(ConfigurationError) -> Bool? {
        guard let text = text(name) else { return nil }
        switch text.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw ConfigurationError(variable: name, problem: "'\(text)' is not 1/0, true/false, yes/no or on/off")
        }
    }
}

extension StringProtocol {
    var trimmingSpaces: Substring {
        let text = Substring(self)
        let start = text.firstIndex { !$0.isWhitespace } ?? text.endIndex
        let end = text.lastIndex { !$0.isWhitespace }.map(text.index(after:)) ?? start
        return text[start..<Swift.max(start, end)]
    }
}
