import Glibc
import HTTP1
import JSON
import Testing

@testable import ChutesProxy

private let hello: JSONValue = ["model": "deepseek-ai/DeepSeek-V3", "max_tokens": 10, "messages": [["role": "user", "content": "Hi"]]]
private let proxyKeys = "proxy-key-alpha-0001, proxy-key-bravo-0002"
private let upstreamKey = "sk-upstream-chutes-key-9999"

@Suite struct InboundKeysTests {
    @Test func aMissingOrWrongKeyIsRefusedBeforeTheUpstreamHearsOfIt() async throws {
        try await withScriptedUpstream { request, _ in
            request.path.hasSuffix("/models") ? ScriptedUpstream.json(ScriptedUpstream.models) : ScriptedUpstream.completion(["role": "assistant", "content": "Hello!"])
        } run: { upstream in
            try await withRunningProxy(upstream: upstream, environment: ["PROXY_API_KEYS": proxyKeys, "CHUTES_API_KEY": upstreamKey, "AUTO_FIX_MODEL_CASE": "0"]) { proxy in
                let refused: [HTTPHeaders] = [
                    [:],
                    ["x-api-key": "proxy-key-alpha-0002"],
                    ["x-api-key": "proxy-key-alpha-000"],
                    ["x-api-key": "proxy-key-alpha-00011"],
                    ["Authorization": "Bearer proxy-key-bravo-0003"],
                    ["Authorization": "Basic proxy-key-bravo-0002"],
                    ["x-api-key": upstreamKey],
                    ["x-api-key": ""],
                ]
                for headers in refused {
                    for (method, path): (HTTPMethod, String) in [("POST", "/v1/messages"), ("POST", "/v1/messages/count_tokens"), ("GET", "/v1/models"), ("GET", "/v1/models/x"), ("GET", "/unknown")] {
                        let response = try await proxy.send(method, path, body: method == "POST" ? hello.serialized() : [], headers: headers)
                        #expect(response.status == 401, "\(method) \(path) with \(headers)")
                        let body = try JSONValue(parsing: response.body)
                        #expect(body["error"]?["type"] == "authentication_error")
                        #expect(body["request_id"]?.stringValue == response.headers["request-id"])
                    }
                }
                #expect(upstream.received.isEmpty)

                for headers: HTTPHeaders in [["x-api-key": "proxy-key-alpha-0001"], ["Authorization": "Bearer proxy-key-bravo-0002"], ["authorization": "bearer  proxy-key-bravo-0002 "]] {
                    let response = try await proxy.post("/v1/messages", hello, headers: headers)
                    #expect(response.status == 200)
                }
                // The upstream only ever sees the proxy's own key.
                #expect(upstream.completionRequests.count == 3)
                #expect(upstream.completionRequests.allSatisfy { $0.headers["Authorization"] == "Bearer \(upstreamKey)" && $0.headers["x-api-key"] == nil })
                let models = try await proxy.send("GET", "/v1/models", headers: ["x-api-key": "proxy-key-alpha-0001"])
                #expect(models.status == 200)
                #expect(upstream.received.last?.headers["Authorization"] == "Bearer \(upstreamKey)")
            }
        }
    }

    @Test func healthAndMetricsStayOpenUnlessMetricsAreProtected() async throws {
        try await withScriptedUpstream { _, _ in
            ScriptedUpstream.json([:])
        } run: { upstream in
            try await withRunningProxy(upstream: upstream, environment: ["PROXY_API_KEYS": proxyKeys, "CHUTES_API_KEY": upstreamKey]) { open throws in
                for path in ["/health", "/", "/metrics"] {
                    #expect(try await open.send("GET", path, headers: [:]).status == 200, "\(path)")
                }
            }
            let guardedEnvironment = ["PROXY_API_KEYS": proxyKeys, "CHUTES_API_KEY": upstreamKey, "METRICS_REQUIRE_KEY": "1"]
            try await withRunningProxy(upstream: upstream, environment: guardedEnvironment) { guarded throws in
                #expect(try await guarded.send("GET", "/health", headers: [:]).status == 200)
                #expect(try await guarded.send("GET", "/metrics", headers: [:]).status == 401)
                #expect(try await guarded.send("GET", "/metrics", headers: ["x-api-key": "proxy-key-bravo-0002"]).status == 200)
            }
        }
    }

    @Test func settingsAreCheckedAtStartUp() throws {
        func problem(_ environment: [String: String]) -> String? {
            do {
                _ = try ProxyConfiguration(environment: environment)
                return nil
            } catch {
                return error.variable + ": " + error.problem
            }
        }
        let missingUpstreamKey = problem(["PROXY_API_KEYS": "proxy-key-alpha-0001"])
        #expect(missingUpstreamKey?.hasPrefix("PROXY_API_KEYS:") == true)
        #expect(missingUpstreamKey?.contains("CHUTES_API_KEY") == true)
        #expect(problem(["PROXY_API_KEYS": "k1-aaaaaaaa", "CHUTES_API_KEY": "u", "CHUTES_AUTH_STYLE": "header"])?.hasPrefix("CHUTES_AUTH_STYLE:") == true)
        #expect(problem(["PROXY_API_KEYS": "k1-aaaaaaaa", "CHUTES_API_KEY": "u", "CHUTES_AUTH_STYLE": "env"]) == nil)
        #expect(problem(["PROXY_API_KEYS": "has space", "CHUTES_API_KEY": "u"])?.hasPrefix("PROXY_API_KEYS:") == true)
        #expect(problem(["METRICS_REQUIRE_KEY": "1"])?.hasPrefix("METRICS_REQUIRE_KEY:") == true)
        #expect(problem(["PROXY_API_KEYS_FILE": "/nonexistent/keys", "CHUTES_API_KEY": "u"])?.hasPrefix("PROXY_API_KEYS_FILE:") == true)

        let configuration = try ProxyConfiguration(environment: ["PROXY_API_KEYS": " a-key-0001 ,, a-key-0002,a-key-0001", "CHUTES_API_KEY": "u"])
        #expect(configuration.inboundKeys.count == 2)
        #expect(configuration.authStyle == .env)
        #expect(try ProxyConfiguration(environment: [:]).inboundKeys.isEmpty)
        // Embedders building the value directly get the same check.
        var direct = ProxyConfiguration(host: "127.0.0.1", port: 0)
        direct.inboundKeys = InboundKeys(["a-key-0001"])
        #expect(throws: ConfigurationError.self) { try ProxyServer(configuration: direct) }
    }

    /// Issue 21, item 1: `PROXY_API_KEYS=","` used to start an open proxy.
    @Test func everyWayOfGivingNoKeyIsRefused() throws {
        for given in [",", " , ", ",,,", "  "] {
            #expect(throws: ConfigurationError.self, "PROXY_API_KEYS='\(given)'") {
                try ProxyConfiguration(environment: ["PROXY_API_KEYS": given, "CHUTES_API_KEY": upstreamKey])
            }
            do {
                _ = try ProxyConfiguration(environment: ["PROXY_API_KEYS": given, "CHUTES_API_KEY": upstreamKey])
            } catch {
                #expect(error.variable == "PROXY_API_KEYS")
            }
        }
        #expect(throws: ConfigurationError.self) { try ProxyConfiguration(environment: ["PROXY_API_KEYS_FILE": " ", "CHUTES_API_KEY": upstreamKey]) }
        // A flag given empty would override the environment's keys.
        for flags in [["--proxy-api-keys="], ["--proxy-api-keys", ""], ["--proxy-api-keys", " "], ["--proxy-api-keys-file="]] {
            #expect(throws: ConfigurationError.self, "\(flags)") { try ProxyConfiguration.settings(fromFlags: flags) }
        }
        // Empty stays "not set" (a copied .env.example has `PROXY_API_KEYS=`).
        #expect(try ProxyConfiguration(environment: ["PROXY_API_KEYS": "", "PROXY_API_KEYS_FILE": ""]).inboundKeys.isEmpty)
    }

    @Test func keysFromAFileOneALine() throws {
        let path = "/tmp/chutes-proxy-keys-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        let text = "# team keys\nfile-key-0001\n\n  file-key-0002  \n"
        let file = try #require(fopen(path, "w"))
        fputs(text, file)
        fclose(file)
        defer { unlink(path) }
        let configuration = try ProxyConfiguration(environment: ["PROXY_API_KEYS_FILE": path, "PROXY_API_KEYS": "env-key-0003", "CHUTES_API_KEY": "u"])
        #expect(configuration.inboundKeys == InboundKeys(["env-key-0003", "file-key-0001", "file-key-0002"]))
        #expect(configuration.inboundKeys.accept(["x-api-key": "file-key-0002"]))
        #expect(!configuration.inboundKeys.accept(["x-api-key": "# team keys"]))

        let empty = try #require(fopen(path, "w"))
        fputs("# nothing yet\n", empty)
        fclose(empty)
        #expect(throws: ConfigurationError.self) { try ProxyConfiguration(environment: ["PROXY_API_KEYS_FILE": path, "CHUTES_API_KEY": "u"]) }
    }

    @Test func comparisonMatchesExactlyWhateverTheLengths() {
        let keys = InboundKeys(["abc-key-1234"])
        #expect(keys.accept(["x-api-key": "abc-key-1234"]))
        for guess in ["abc-key-123", "abc-key-12345", "abc-key-1235", "", String(repeating: "a", count: 600), "ABC-KEY-1234"] {
            #expect(!keys.accept(["x-api-key": guess]), "\(guess)")
        }
        #expect(InboundKeys.equalInConstantTime(Array("x".utf8), Array("x".utf8)))
        #expect(!InboundKeys.equalInConstantTime(Array("x".utf8), Array("x\0".utf8)))
    }
}
