import AsyncIO
import HTTP1
import JSON
import Synchronization
import TestSupport
import Testing

@testable import ChutesProxy

/// What operators and orchestrators use: `/ready` and the drain, `check`, `healthcheck`, and
/// the embedding hook for custom routes.
@Suite struct OperationsTests {
    @Test func readyTurns503AsSoonAsDrainingStartsWhileHealthStays200() async throws {
        var configuration = ProxyConfiguration()
        configuration.shutdownDelay = .seconds(30)  // keeps the listener open to be asked
        try await withRunningProxy(configuration: configuration) { running in
            let proxy = running.proxy
            let before = try await exchange("GET /ready HTTP/1.1\r\nHost: x\r\n\r\n", port: proxy.port)
            #expect(before.status == 200)
            #expect(before.body?["status"]?.stringValue == "ready")
            proxy.shutdown()  // the drain under test; the helper's stop skips the delay
            #expect(!proxy.isReady)
            let draining = try await exchange("GET /ready HTTP/1.1\r\nHost: x\r\n\r\n", port: proxy.port)
            #expect(draining.status == 503)
            #expect(draining.body?["error"]?["type"]?.stringValue == "overloaded_error")
            let health = try await exchange("GET /health HTTP/1.1\r\nHost: x\r\n\r\n", port: proxy.port)
            #expect(health.status == 200)
        }
    }

    @Test func aStreamInFlightWhenDrainingStartsCompletes() async throws {
        let release = AsyncStream<Void>.makeStream()
        let started = AsyncStream<Void>.makeStream()
        try await withScriptedUpstream { request, _ in
            guard request.method == "POST" else { return ScriptedUpstream.json(ScriptedUpstream.models) }
            return HTTPResponse(
                status: 200, headers: ["Content-Type": "text/event-stream"],
                body: .stream { writer in
                    try await writer.write(Array("data: ".utf8) + chunk(["role": "assistant", "content": "first "]).serialized() + Array("\n\n".utf8))
                    started.continuation.yield()
                    for await _ in release.stream { break }  // held until the drain has begun
                    try await writer.write(Array("data: ".utf8) + chunk(["content": "second"], finish: "stop").serialized() + Array("\n\n".utf8))
                    try await writer.write(Array("data: [DONE]\n\n".utf8))
                })
        } run: { upstream in
            try await withRunningProxy(upstream: upstream) { proxy in
                async let streamed = proxy.post("/v1/messages", ["model": "m", "max_tokens": 10, "stream": true, "messages": [["role": "user", "content": "hi"]]])
                for await _ in started.stream { break }
                proxy.proxy.shutdown()  // the drain under test
                #expect(!proxy.proxy.isReady)
                release.continuation.yield()
                let response = try await streamed
                await proxy.task.value
                #expect(response.status == 200)
                let events = try RunningProxy.events(response.body)
                #expect(events.last?.type == "message_stop")
                let text = events.compactMap { $0.payload["delta"]?["text"]?.stringValue }.joined()
                #expect(text == "first second")
            }
        }
    }

    @Test func connectionsQueuedBeforeTheListenerClosesAreServed() async throws {
        let proxy = try ProxyServer(configuration: ProxyConfiguration(host: "127.0.0.1", port: 0))
        // Connected (the kernel completed the handshake) but never accepted: run() is not started.
        let queued = try await TCPConnection.connect(to: SocketAddress(ip: "127.0.0.1", port: proxy.port)!)
        defer { queued.close() }
        try await queued.write(Array("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        proxy.shutdown()
        let running = Task { await proxy.run() }
        let answer = try await queued.read(deadline: .after(.seconds(10)))
        #expect(String(decoding: answer, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
        await running.value
    }

    @Test func customRoutesAreAnsweredBeforeTheProxysOwn() async throws {
        let hello = ProxyRoute(method: "GET", path: "/hello") { request in
            HTTPResponse(status: 200, contentType: "text/plain", body: Array("hello \(request.head.target)".utf8))
        }
        try await withRunningProxy(configuration: ProxyConfiguration(), routes: [hello]) { running in
            let text = try await running.sendRaw("GET /hello?x=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(text.hasPrefix("HTTP/1.1 200"))
            #expect(text.hasSuffix("hello /hello?x=1"))
            let other = try await exchange("POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", port: running.proxy.port)
            #expect(other.status == 404)  // another method is not the route
        }
    }

    @Test func checkListsTheUpstreamsModelsAndWarnsOfMapTargetsItLacks() async throws {
        let report = try await withScriptedUpstream { request, _ in
            #expect(request.headers["Authorization"] == "Bearer cpk_check")
            return ScriptedUpstream.json(ScriptedUpstream.models)
        } run: { upstream in
            let configuration = try ProxyConfiguration(environment: [
                "CHUTES_BASE_URL": upstream.baseURL, "CHUTES_API_KEY": "cpk_check",
                "MODEL_MAP": #"{"claude-*haiku*":"qwen/qwen3-coder-480b-a35b-instruct:latency","claude-*":"no/such-model"}"#,
            ])
            return await ConfigurationCheck.run(configuration)
        }
        #expect(report.passed, "\(report.problems)")
        #expect(report.lines.contains("models offered: 2"))
        #expect(report.lines.contains("  deepseek-ai/DeepSeek-V3"))
        #expect(report.lines.filter { $0.hasPrefix("warning:") } == ["warning: MODEL_MAP sends requests to no/such-model, which the upstream does not list"])
        #expect(!report.lines.joined().contains("cpk_check"))
    }

    @Test func checkFailsWithTheReason() async throws {
        let refused = try await withScriptedUpstream { _, _ in
            ScriptedUpstream.json(["detail": "Invalid token cpk_wrong"], status: 401)
        } run: { refusing in
            await ConfigurationCheck.run(try ProxyConfiguration(environment: ["CHUTES_BASE_URL": refusing.baseURL, "CHUTES_API_KEY": "cpk_wrong"]))
        }
        #expect(!refused.passed)
        #expect(refused.problems.count == 1)
        #expect(refused.problems.first?.contains("answered 401") == true)
        #expect(refused.problems.first?.contains("cpk_wrong") == false)

        // The address of an upstream that has stopped: nothing listens there any more.
        let (odd, address) = try await withScriptedUpstream { _, _ in
            ScriptedUpstream.json(["hello": "world"])
        } run: { notAList in
            (await ConfigurationCheck.run(try ProxyConfiguration(environment: ["CHUTES_BASE_URL": notAList.baseURL])), notAList.baseURL)
        }
        #expect(odd.problems.first?.contains("not with an OpenAI model list") == true)

        let unreachable = await ConfigurationCheck.run(try ProxyConfiguration(environment: ["CHUTES_BASE_URL": address]))
        #expect(unreachable.problems.first?.contains("failed") == true)

        let keyless = await ConfigurationCheck.run(try ProxyConfiguration(environment: ["CHUTES_BASE_URL": address, "CHUTES_AUTH_STYLE": "env"]))
        #expect(keyless.problems.contains { $0.hasPrefix("CHUTES_AUTH_STYLE=env but CHUTES_API_KEY is not set") })
    }

    @Test func healthcheckAsksTheLocalProxy() async throws {
        // A proxy configured for 0.0.0.0 is probed on 127.0.0.1.
        let port = try await withRunningProxy(configuration: ProxyConfiguration()) { running in
            let port = running.proxy.port
            #expect(await HealthProbe.check(ProxyConfiguration(host: "0.0.0.0", port: port)) == nil)
            #expect(await HealthProbe.check(ProxyConfiguration(host: "127.0.0.1", port: port)) == nil)
            return port
        }
        // Stopped: the probe says where it asked.
        let problem = await HealthProbe.check(ProxyConfiguration(host: "0.0.0.0", port: port))
        #expect(problem?.contains("127.0.0.1:\(port)/health") == true)
    }

    @Test func healthcheckSpeaksHTTPSWhenTheProxyServesIt() async throws {
        let pair = TestCertificates.shared.selfSigned
        let configuration = try ProxyConfiguration(environment: ["HOST": "127.0.0.1", "PORT": "0", "TLS_CERT_FILE": pair.certificate, "TLS_KEY_FILE": pair.key])
        try await withRunningProxy(configuration: configuration) { running in
            var probed = configuration
            probed.port = running.proxy.port
            #expect(await HealthProbe.check(probed) == nil)
        }
    }
}
