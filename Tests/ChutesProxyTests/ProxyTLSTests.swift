import AsyncIO
import HTTP1
import TestSupport
import Testing

@testable import ChutesProxy

@Suite struct ProxyTLSTests {
    @Test func servesHTTPSWhenCertificateAndKeyAreSet() async throws {
        let certificates = TestCertificates.shared
        let configuration = try ProxyConfiguration(environment: [
            "TLS_CERT_FILE": certificates.server.certificate, "TLS_KEY_FILE": certificates.server.key,
        ])
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.trustRoots = .file(certificates.caFile)
        let client = try HTTPClient(configuration: clientConfiguration)
        try await withRunningProxy(configuration: configuration) { running in
            let url = try #require(HTTPURL("https://localhost:\(running.proxy.port)/health"))
            let response = try await client.execute(HTTPClientRequest(method: "GET", url: url))
            #expect(response.head.status == 200)
            let body = try await response.body.collect(upTo: 1 << 16)
            #expect(String(decoding: body, as: UTF8.self).contains("\"status\":\"ok\""))
        }
    }

    @Test func caFileSettingIsCheckedAndKept() throws {
        let caFile = TestCertificates.shared.caFile
        #expect(try ProxyConfiguration(environment: ["CHUTES_CA_FILE": caFile]).upstreamTrustRoots == .file(caFile))
        #expect(try ProxyConfiguration(environment: [:]).upstreamTrustRoots == .system)
        #expect(throws: ConfigurationError(variable: "CHUTES_CA_FILE", problem: "cannot read /nonexistent/ca.pem")) {
            _ = try ProxyConfiguration(environment: ["CHUTES_CA_FILE": "/nonexistent/ca.pem"])
        }
    }

    @Test func halfATLSSettingStopsStartUpNamingTheMissingVariable() {
        #expect(throws: ConfigurationError.self) {
            _ = try ProxyConfiguration(environment: ["TLS_CERT_FILE": "/tmp/cert.pem"])
        }
        do {
            _ = try ProxyConfiguration(environment: ["TLS_CERT_FILE": "/nonexistent/cert.pem", "TLS_KEY_FILE": "/nonexistent/key.pem"])
            Issue.record("a missing certificate file must stop start-up")
        } catch {
            #expect(error.variable == "TLS_CERT_FILE")
            #expect(error.problem.contains("/nonexistent/cert.pem"))
        }
    }
}
