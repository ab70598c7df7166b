import Foundation

/// Certificates made once per test run with /usr/bin/openssl in a temporary directory: a CA,
/// server certificates it signs (valid, expired, for the wrong host) and a self-signed one.
public struct TestCertificates: Sendable {
    public struct Pair: Sendable {
        public let certificate: String
        public let key: String
    }

    public let directory: String
    public let caFile: String
    /// CN=localhost, SAN DNS:localhost and IP:127.0.0.1, signed by the CA.
    public let server: Pair
    /// Like `server` but its validity ended before it began.
    public let expired: Pair
    /// Signed by the CA for DNS:wrong.example and IP:10.9.9.9 only.
    public let wrongHost: Pair
    /// SAN localhost / 127.0.0.1 but signed by itself.
    public let selfSigned: Pair

    public static let shared: TestCertificates = {
        do {
            return try TestCertificates()
        } catch {
            fatalError("cannot make test certificates: \(error)")
        }
    }()

    private init() throws {
        directory = NSTemporaryDirectory() + "chutes-tls-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        caFile = "\(directory)/ca.pem"
        try Self.openssl(
            ["req", "-x509"] + ecKey + [
                "-keyout", "\(directory)/ca.key", "-out", caFile, "-days", "3650", "-subj", "/CN=Chutes Test CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ])
        let directory = self.directory, caFile = self.caFile
        func signed(_ name: String, san: String, days: String) throws -> Pair {
            let base = "\(directory)/\(name)"
            try Self.openssl(["req", "-new"] + ecKey + ["-keyout", "\(base).key", "-out", "\(base).csr", "-subj", "/CN=localhost"])
            try "subjectAltName=\(san)\n".write(toFile: "\(base).ext", atomically: true, encoding: .utf8)
            try Self.openssl([
                "x509", "-req", "-in", "\(base).csr", "-CA", caFile, "-CAkey", "\(directory)/ca.key",
                "-CAcreateserial", "-days", days, "-extfile", "\(base).ext", "-out", "\(base).pem",
            ])
            return Pair(certificate: "\(base).pem", key: "\(base).key")
        }
        server = try signed("server", san: "DNS:localhost,IP:127.0.0.1", days: "30")
        expired = try signed("expired", san: "DNS:localhost,IP:127.0.0.1", days: "-1")
        wrongHost = try signed("wrong-host", san: "DNS:wrong.example,IP:10.9.9.9", days: "30")
        let selfBase = "\(directory)/self-signed"
        try Self.openssl(
            ["req", "-x509"] + ecKey + [
                "-keyout", "\(selfBase).key", "-out", "\(selfBase).pem", "-days", "30", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            ])
        selfSigned = Pair(certificate: "\(selfBase).pem", key: "\(selfBase).key")
    }

    /// A directory holding only the CA, named by subject hash as SSL_CERT_DIR expects.
    public func hashedCADirectory() throws -> String {
        let path = "\(directory)/ca-dir"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: "\(path)/ca.pem") {
            try FileManager.default.copyItem(atPath: caFile, toPath: "\(path)/ca.pem")
        }
        try Self.openssl(["rehash", path])
        return path
    }

    private static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "openssl \(arguments.joined(separator: " ")) failed"])
        }
    }
}
