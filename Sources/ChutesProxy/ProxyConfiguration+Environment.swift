import AsyncIO
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
        if let caFile = environment["CHUTES_CA_FILE"], !caFile.isEmpty {
            guard access(caFile, R_OK) == 0 else {
                throw ConfigurationError(variable: "CHUTES_CA_FILE", problem: "cannot read \(caFile)")
            }
            upstreamTrustRoots = .file(caFile)
        }
        let certificate = environment["TLS_CERT_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        let key = environment["TLS_KEY_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        switch (certificate, key) {
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
