import Glibc

extension ProxyConfiguration {
    /// Reads the configuration from environment variables (see the README for the list).
    /// An invalid value throws, naming the variable.
    public init(environment: [String: String]) throws(ConfigurationError) {
        self.init()
        if let host = environment["HOST"], !host.isEmpty { self.host = host }
        if let text = environment["PORT"], !text.isEmpty {
            guard let port = Int(text), (0...65535).contains(port) else {
                throw ConfigurationError(variable: "PORT", problem: "'\(text)' is not a port number (0-65535)")
            }
            self.port = port
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
