import AsyncIO
import Foundation
import HTTP1
import JSON
import TestSupport
import Testing

@testable import ChutesProxy

@Suite struct ProxyServerTests {
    @Test func healthAndRootAnswerWithTheVersion() async throws {
        try await withRunningProxy(configuration: ProxyConfiguration()) { running in
            #expect(running.proxy.port != 0)
            for path in ["/", "/health"] {
                let response = try await exchange("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n", port: running.proxy.port)
                #expect(response.status == 200)
                #expect(response.headers["Content-Type"] == "application/json")
                #expect(response.body?["status"]?.stringValue == "ok")
                #expect(response.body?["version"]?.stringValue == ProxyVersion.current)
            }
        }
    }

    @Test func unknownPathsGetAnthropicsNotFoundError() async throws {
        try await withRunningProxy(configuration: ProxyConfiguration()) { running in
            let response = try await exchange("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", port: running.proxy.port)
            #expect(response.status == 404)
            #expect(response.body?["type"]?.stringValue == "error")
            #expect(response.body?["error"]?["type"]?.stringValue == "not_found_error")
            #expect(response.body?["error"]?["message"]?.stringValue?.contains("/nope") == true)
        }
    }

    @Test func malformedRequestsGetAnthropicsErrorFormat() async throws {
        try await withRunningProxy(configuration: ProxyConfiguration()) { running in
            let response = try await exchange("NOT HTTP\r\n\r\n", port: running.proxy.port)
            #expect(response.status == 400)
            #expect(response.body?["error"]?["type"]?.stringValue == "invalid_request_error")
        }
    }

    @Test func versionMatchesTheVersionFile() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let file = try String(contentsOf: root.appendingPathComponent("VERSION"), encoding: .utf8)
        #expect(file.trimmingCharacters(in: .whitespacesAndNewlines) == ProxyVersion.current)
    }

    @Test func environmentSetsHostAndPortAndRejectsBadPorts() throws {
        let configuration = try ProxyConfiguration(environment: ["HOST": "0.0.0.0", "PORT": "9123"])
        #expect(configuration.host == "0.0.0.0")
        #expect(configuration.port == 9123)
        #expect(throws: ConfigurationError(variable: "PORT", problem: "'eighty' is not a whole number from 0 to 65535")) {
            _ = try ProxyConfiguration(environment: ["PORT": "eighty"])
        }
        let defaults = try ProxyConfiguration(environment: [:])
        #expect(defaults.host == "127.0.0.1" && defaults.port == 8080)
    }

    @Test func maxConnectionsSetsTheCapAndRejectsNonsense() throws {
        #expect(try ProxyConfiguration(environment: ["MAX_CONNECTIONS": "20000"]).http.maxConnections == 20000)
        #expect(try ProxyConfiguration(environment: [:]).http.maxConnections == 10000)
        for bad in ["0", "-5", "lots", "1e300"] {
            #expect(throws: ConfigurationError.self) { _ = try ProxyConfiguration(environment: ["MAX_CONNECTIONS": bad]) }
        }
    }
}
