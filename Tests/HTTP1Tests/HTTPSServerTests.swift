import AsyncIO
import TestSupport
import Testing

@testable import HTTP1

/// The server side of the TLS wrapper: `HTTPServer` with `configuration.tls`, driven by the
/// project's own client.
@Suite struct HTTPSServerTests {
    private let certificates = TestCertificates.shared

    /// Runs `body` with an HTTPS server that echoes, and streams on `/stream`.
    private func withTLSServer(_ body: (RunningServer) async throws -> Void) async throws {
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.tls = try TLSContext(
            .server(
                certificateChainFile: certificates.server.certificate, privateKeyFile: certificates.server.key
            ))
        try await withRunningServer(
            configuration: configuration,
            responder: ClosureResponder { request in
                if request.head.path == "/stream" {
                    return HTTPResponse(
                        status: 200, headers: ["Content-Type": "text/event-stream"],
                        body: .stream { writer in
                            for index in 0..<3 { try await writer.write(Array("data: \(index)\n\n".utf8)) }
                        })
                }
                return HTTPResponse(status: 200, contentType: "text/plain", body: Array("\(request.head.method) \(request.head.target) ".utf8) + request.body)
            }, body)
    }

    @Test func sizedAndStreamedResponsesOverOneKeptAliveTLSConnection() async throws {
        try await withTLSServer { running in
            var configuration = HTTPClient.Configuration()
            configuration.trustRoots = .file(certificates.caFile)
            let client = try HTTPClient(configuration: configuration)
            let base = try #require(HTTPURL("https://localhost:\(running.address.port)"))

            let sized = try await client.execute(HTTPClientRequest(method: "POST", url: base.appending("/echo"), body: Array("hi".utf8)))
            #expect(String(decoding: try await sized.body.collect(upTo: 100), as: UTF8.self) == "POST /echo hi")

            let streamed = try await client.execute(HTTPClientRequest(url: base.appending("/stream")))
            #expect(streamed.headers["transfer-encoding"] == "chunked")
            #expect(String(decoding: try await streamed.body.collect(upTo: 100), as: UTF8.self) == "data: 0\n\ndata: 1\n\ndata: 2\n\n")
            #expect(client.statistics.connectionsOpened == 1)
            client.shutdown()
        }
    }

    @Test func aClientThatRefusesTheCertificateDoesNotDisturbTheOthers() async throws {
        try await withTLSServer { running in
            let distrusting = try HTTPClient()  // system trust store: the test CA is unknown
            let base = try #require(HTTPURL("https://localhost:\(running.address.port)"))
            await #expect {
                _ = try await distrusting.execute(HTTPClientRequest(url: base))
            } throws: { error in
                guard case .tls(.certificateRejected) = error as? HTTPClientError else { return false }
                return true
            }
            var configuration = HTTPClient.Configuration()
            configuration.trustRoots = .file(certificates.caFile)
            let trusting = try HTTPClient(configuration: configuration)
            let response = try await trusting.execute(HTTPClientRequest(url: base.appending("/ok")))
            #expect(String(decoding: try await response.body.collect(upTo: 100), as: UTF8.self) == "GET /ok ")
        }
    }

    @Test func aPlainHTTPRequestToTheTLSPortGetsNoAnswer() async throws {
        try await withTLSServer { running in
            let client = try HTTPClient()
            await #expect(throws: HTTPClientError.self) {
                _ = try await client.execute(HTTPClientRequest(url: HTTPURL("http://127.0.0.1:\(running.address.port)/")!))
            }
        }
    }
}
