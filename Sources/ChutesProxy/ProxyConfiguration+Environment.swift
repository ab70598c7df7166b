import AsyncIO
import Glibc
import HTTP1
import JSON
import Logging

extension ProxyConfiguration {
    /// Reads the configuration from environment variables, one row of `ProxySetting.all`
    /// each (names compatible with the reference Python proxy; docs/configuration.md lists them). Empty
    /// values count as unset (blank ones too, except for the inbound keys, where a blank value
    /// is refused rather than leave the proxy open). An invalid value throws, naming the variable.
    public init(environment: [String: String]) throws(ConfigurationError) {
        self.init()
        for setting in ProxySetting.all {
            guard let raw = environment[setting.name], !raw.isEmpty else { continue }
            let text = raw.trimmingWhitespace
            guard !text.isEmpty else {
                guard !setting.refusesBlank else { throw ConfigurationError(variable: setting.name, problem: "is blank; leave it unset or empty for none") }
                continue
            }
            try setting.read(SettingText(name: setting.name, text: String(text)), &self)
        }
        try loadServingTLS()
        try loadProviders(environment: environment)
        try loadInboundKeys(styleSet: environment["CHUTES_AUTH_STYLE"].map { !$0.trimmingWhitespace.isEmpty } ?? false)
        if debug && logLevel > .debug { logLevel = .debug }  // DEBUG_PROXY=1 means LOG_LEVEL=debug
        if logLevel <= .debug { debug = true }
        try validate()
    }

    /// `PROXY_API_KEYS`, `PROXY_API_KEYS_FILE` and `PROXY_KEYS_FILE` together; with inbound keys the upstream key
    /// is `CHUTES_API_KEY` only, so a `CHUTES_AUTH_STYLE` other than env is refused.
    private mutating func loadInboundKeys(styleSet: Bool) throws(ConfigurationError) {
        inboundKeys = try Self.inboundKeys(list: inboundKeySources.list, file: inboundKeySources.file)
        if let keysFile { namedKeys = try KeysFile.load(path: keysFile) }
        guard requiresKeys else { return }
        if styleSet && authStyle != .env {
            throw ConfigurationError(
                variable: "CHUTES_AUTH_STYLE",
                problem: "'\(authStyle.rawValue)' forwards client keys, but PROXY_API_KEYS or PROXY_KEYS_FILE makes clients send proxy keys: leave it unset or set it to env")
        }
        authStyle = .env
    }

    /// The settings given as flags, by variable name: `--port 9000`, `--port=9000`, a switch
    /// alone (`--debug-proxy` means 1). Lay them over the environment (flags win) before
    /// `init(environment:)`. Throws on a flag that names no setting or lacks its value.
    public static func settings(fromFlags flags: [String]) throws(ConfigurationError) -> [String: String] {
        var result: [String: String] = [:]
        var index = flags.startIndex
        while index < flags.endIndex {
            let argument = flags[index]
            index += 1
            let name = argument.firstIndex(of: "=").map { String(argument[..<$0]) } ?? argument
            guard argument.hasPrefix("--"), let setting = ProxySetting.named(name), setting.flag == name else {
                throw ConfigurationError(variable: name, problem: "no such setting (--help lists them)")
            }
            if let equals = argument.firstIndex(of: "=") {
                let value = String(argument[argument.index(after: equals)...])
                // A flag given empty would otherwise count as unset, and an empty --proxy-api-keys
                // would override the environment's keys and open the proxy.
                guard !value.trimmingWhitespace.isEmpty else { throw ConfigurationError(variable: setting.flag, problem: "needs a value (leave the flag out for the default)") }
                result[setting.name] = value
                continue
            }
            let next = index < flags.endIndex ? flags[index] : nil
            if setting.isSwitch {
                // Alone it means on; a following word is its value only when it reads as one.
                if let next, (try? SettingText(name: setting.name, text: next).flag()) != nil {
                    result[setting.name] = next
                    index += 1
                } else {
                    result[setting.name] = "1"
                }
            } else {
                guard let next else { throw ConfigurationError(variable: setting.flag, problem: "needs a value") }
                guard !next.trimmingWhitespace.isEmpty else { throw ConfigurationError(variable: setting.flag, problem: "needs a value (leave the flag out for the default)") }
                result[setting.name] = next
                index += 1
            }
        }
        return result
    }

    /// The effective configuration as `NAME=value` lines in `ProxySetting.all`'s order,
    /// secrets shown as `<redacted>`; each line says where the value came from, also when
    /// another setting decided it (`DEBUG_PROXY` sets `LOG_LEVEL`, inbound keys set
    /// `CHUTES_AUTH_STYLE`).
    public func printableSettings(environment: [String: String], flags: [String: String] = [:]) -> [String] {
        let width = ProxySetting.all.map(\.name.count).max() ?? 0
        // Where the text of a setting came from, nil when it was not given.
        func given(_ name: String) -> String? {
            if flags[name] != nil { return "flag " + (ProxySetting.named(name)?.flag ?? name) }
            if let text = environment[name]?.trimmingWhitespace, !text.isEmpty { return "environment" }
            return nil
        }
        // `set by NAME (where)`, naming the setting that decided a value.
        func setBy(_ name: String) -> String { "set by \(name) (\(given(name) ?? "default"))" }
        let statedLogLevel = environment.merging(flags) { $1 }["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.trimmingWhitespace.lowercased()) } ?? .info
        return ProxySetting.all.map { setting in
            let shown = setting.show(self)
            let value = setting.isSecret && !shown.isEmpty ? "<redacted>" : shown
            var origin = given(setting.name) ?? "default"
            switch setting.name {
            case "LOG_LEVEL" where logLevel != statedLogLevel:
                origin = setBy("DEBUG_PROXY")
            case "DEBUG_PROXY" where debug && given("DEBUG_PROXY") == nil:
                origin = setBy("LOG_LEVEL")
            case "CHUTES_AUTH_STYLE" where requiresKeys && given("CHUTES_AUTH_STYLE") == nil:
                origin = setBy(inboundKeySources.list != nil ? "PROXY_API_KEYS" : inboundKeySources.file != nil ? "PROXY_API_KEYS_FILE" : "PROXY_KEYS_FILE")
            default:
                break
            }
            let assignment = "\(setting.name)=\(value)"
            let padding = String(repeating: " ", count: max(1, width + 24 - assignment.count))
            return assignment + padding + "# " + origin
        }
    }

    /// `PROVIDERS` or `PROVIDERS_FILE` (not both), with the keys their entries name.
    private mutating func loadProviders(environment: [String: String]) throws(ConfigurationError) {
        switch providerSources {
        case (nil, nil):
            return
        case (_?, _?):
            throw ConfigurationError(variable: "PROVIDERS_FILE", problem: "PROVIDERS is set too; set one of them")
        case (let list?, nil):
            providers = try ProviderDefinition.list(json: list, variable: "PROVIDERS", environment: environment)
        case (nil, let path?):
            guard let text = Self.readTextFile(path) else { throw ConfigurationError(variable: "PROVIDERS_FILE", problem: "cannot read \(path)") }
            providers = try ProviderDefinition.list(json: text, variable: "PROVIDERS_FILE", environment: environment)
        }
    }

    /// Serves HTTPS when both `TLS_CERT_FILE` and `TLS_KEY_FILE` are set.
    private mutating func loadServingTLS() throws(ConfigurationError) {
        switch servingTLSFiles {
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
    }

    /// `PROXY_API_KEYS` (comma-separated) and the lines of `PROXY_API_KEYS_FILE` (blank
    /// lines and `#` comments skipped), together.
    private static func inboundKeys(list: String?, file: String?) throws(ConfigurationError) -> InboundKeys {
        var keys: [(key: Substring, variable: String)] = []
        if let list {
            let listed = list.split(separator: ",").map(\.trimmingWhitespace).filter { !$0.isEmpty }
            // A value that names no key must not leave the proxy open: the operator meant to close it.
            guard !listed.isEmpty else {
                throw ConfigurationError(
                    variable: "PROXY_API_KEYS", problem: "'\(list)' holds no key (comma-separated keys); leave PROXY_API_KEYS unset for a proxy without inbound keys")
            }
            keys += listed.map { ($0, "PROXY_API_KEYS") }
        }
        if let path = file {
            guard let text = readTextFile(path) else {
                throw ConfigurationError(variable: "PROXY_API_KEYS_FILE", problem: "cannot read \(path)")
            }
            let lines = text.split(whereSeparator: \.isNewline).map(\.trimmingWhitespace).filter { !$0.isEmpty && !$0.hasPrefix("#") }
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
    static func readTextFile(_ path: String) -> String? {
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
