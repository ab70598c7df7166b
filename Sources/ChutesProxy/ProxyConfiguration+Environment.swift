import AsyncIO
import Glibc
import HTTP1

extension ProxyConfiguration {
    /// Reads the configuration from environment variables, one row of `ProxySetting.all`
    /// each (names compatible with the reference Python proxy; the README lists them). Empty
    /// values count as unset. An invalid value throws, naming the variable.
    public init(environment: [String: String]) throws(ConfigurationError) {
        self.init()
        for setting in ProxySetting.all {
            guard let text = environment[setting.name]?.trimmingSpaces, !text.isEmpty else { continue }
            try setting.read(SettingText(name: setting.name, text: String(text)), &self)
        }
        try loadServingTLS()
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
                result[setting.name] = String(argument[argument.index(after: equals)...])
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
                result[setting.name] = next
                index += 1
            }
        }
        return result
    }

    /// The effective configuration as `NAME=value` lines in `ProxySetting.all`'s order,
    /// secrets shown as `<redacted>`; each line says where the value came from.
    public func printableSettings(environment: [String: String], flags: [String: String] = [:]) -> [String] {
        let width = ProxySetting.all.map(\.name.count).max() ?? 0
        return ProxySetting.all.map { setting in
            let shown = setting.show(self)
            let value = setting.isSecret && !shown.isEmpty ? "<redacted>" : shown
            let origin: String
            if flags[setting.name] != nil {
                origin = "flag \(setting.flag)"
            } else if let text = environment[setting.name]?.trimmingSpaces, !text.isEmpty {
                origin = "environment"
            } else {
                origin = "default"
            }
            let assignment = "\(setting.name)=\(value)"
            let padding = String(repeating: " ", count: max(1, width + 24 - assignment.count))
            return assignment + padding + "# " + origin
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

extension StringProtocol {
    var trimmingSpaces: Substring {
        let text = Substring(self)
        let start = text.firstIndex { !$0.isWhitespace } ?? text.endIndex
        let end = text.lastIndex { !$0.isWhitespace }.map(text.index(after:)) ?? start
        return text[start..<Swift.max(start, end)]
    }
}
