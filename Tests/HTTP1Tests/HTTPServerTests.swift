import AsyncIO
import Synchronization
import TestSupport
import Testing

@testable import HTTP1

@Suite struct HTTPServerTests {
    @Test func keepAliveServesSeveralRequestsOnOneConnection() async throws {
        try await withRunningServer(responder: EchoResponder()) { running in
            let client = try await running.connect()
            for index in 0..<3 {
                try await client.send("GET /r\(index) HTTP/1.1\r\nHost: x\r\n\r\n")
                let response = try #require(try await client.response())
                #expect(response.head.status == 200)
                #expect(response.text == "GET /r\(index) ")
                #expect(response.head.headers["Connection"] == nil)
            }
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await withRunningServer(responder: EchoResponder()) { running in
            let client = try await running.connect()
            try await client.send(
                "GET /one HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                    + "GET /three HTTP/1.1\r\nHost: x\r\n\r\n"
            )
            #expect(try await client.response()?.text == "GET /one ")
            #expect(try await client.response()?.text == "POST /two abc")
            #expect(try await client.response()?.text == "GET /three ")
        }
    }

    @Test func chunkedUploadIsReassembled() async throws {
        try await withRunningServer(responder: EchoResponder()) { running in
            let client = try await running.connect()
            try await client.send("POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n")
            #expect(try await client.response()?.text == "POST /up hello world")
        }
    }

    @Test func connectionCloseIsHonoured() async throws {
        try await withRunningServer(responder: EchoResponder()) { running in
            let client = try await running.connect()
            try await client.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            let response = try #require(try await client.response())
            #expect(response.head.headers["Connection"] == "close")
            #expect(await client.seesClose())
        }
    }

    @Test func http10ClosesUnlessKeepAliveIsAsked() async throws {
        try await withRunningServer(responder: EchoResponder()) { running in
            let client = try await running.connect()
            try await client.send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            let first = try #require(try await client.response())
            #expect(first.head.headers["Connection"] == "keep-alive")
            try await client.send("GET /b HTTP/1.0\r\n\r\n")
            #expect(try await client.response()?.text == "GET /b ")
            #expect(await client.seesClose())
        }
    }

    @Test func expectContinueGetsAnInterimResponse() async throws {
        try await withRunningServer(responder: EchoResponder()) { running in
            let client = try await running.connect()
            try await client.send("POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
            let interim = try await client.connection.read(deadline: .after(.seconds(10)))
            #expect(String(decoding: interim, as: UTF8.self).hasPrefix("HTTP/1.1 100 Continue\r\n\r\n"))
            try await client.send("body")
            #expect(try await client.response()?.text == "POST /c body")
        }
    }

    @Test(arguments: [
        ("GARBAGE\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n", 413),
        ("GET / HTTP/1.1\r\nX-Big: " + String(repeating: "a", count: 70_000) + "\r\n\r\n", 431),
    ])
    func rejectedRequestsGetTheirStatusAndTheConnectionCloses(request: String, status: HTTPStatus) async throws {
        var configuration = HTTPServerConfiguration()
        configuration.limits.maxBodyBytes = 1000
        try await withRunningServer(configuration: configuration, responder: EchoResponder()) { running in
            let client = try await running.connect()
            try? await client.send(request)
            let response = try #require(try await client.response())
            #expect(response.head.status == status)
            #expect(response.head.headers["Connection"] == "close")
            #expect(await client.seesClose())
        }
    }

    @Test func errorResponsesUseTheConfiguredFormat() async throws {
        var configuration = HTTPServerConfiguration()
        configuration.errorResponse = { status, _ in HTTPResponse(status: status, contentType: "application/json", body: Array("{\"custom\":\(status)}".utf8)) }
        try await withRunningServer(configuration: configuration, responder: EchoResponder()) { running in
            let client = try await running.connect()
            try await client.send("BAD\r\n\r\n")
            let response = try #require(try await client.response())
            #expect(response.text == "{\"custom\":400}")
        }
    }

    @Test func streamedBodiesAreChunked() async throws {
        try await withRunningServer(
            responder: ClosureResponder { _ in
                HTTPResponse(
                    status: 200, headers: ["Content-Type": "text/event-stream"],
                    body: .stream { writer in
                        for index in 0..<5 { try await writer.write(Array("part \(index)\n".utf8)) }
                    })
            }
        ) { running in
            let client = try await running.connect()
            try await client.send("GET /s HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try #require(try await client.response())
            #expect(response.head.headers["Transfer-Encoding"] == "chunked")
            #expect(response.text == (0..<5).map { "part \($0)\n" }.joined())
            // Still usable afterwards.
            try await client.send("GET /s HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await client.response()?.head.status == 200)
        }
    }

    @Test func aSilentClientIsDroppedAfterTheTimeout() async throws {
        var configuration = HTTPServerConfiguration()
        configuration.requestReadTimeout = .milliseconds(100)
        configuration.idleTimeout = .milliseconds(100)
        try await withRunningServer(configuration: configuration, responder: EchoResponder()) { running in
            let silent = try await running.connect()
            #expect(await silent.seesClose(within: .seconds(10)))
            // A client that started a request and stalled gets 408.
            let stalled = try await running.connect()
            try await stalled.send("GET / HTTP/1.1\r\nHo")
            #expect(try await stalled.response()?.head.status == 408)
        }
    }

    @Test func aClientThatHangsUpCancelsItsResponder() async throws {
        let started = Signal()
        let cancelled = Signal()
        try await withRunningServer(
            responder: ClosureResponder { _ in
                started.fire()
                await withTaskCancellationHandler {
                    try? await Task.sleep(for: .seconds(3600))  // only cancellation ends this
                } onCancel: {
                    cancelled.fire()
                }
                return HTTPResponse(status: 200)
            }
        ) { running in
            let client = try await running.connect()
            try await client.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
            await started.wait()
            client.connection.close()
            await cancelled.wait()
        }
    }

    @Test func aClientThatDisconnectsMidRequestLeavesTheServerServing() async throws {
        try await withRunningServer(responder: EchoResponder()) { running in
            let quitter = try await running.connect()
            try await quitter.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nhalf")
            quitter.connection.close()
            let client = try await running.connect()
            try await client.send("GET /after HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await client.response()?.text == "GET /after ")
        }
    }

    @Test func shutdownLetsInFlightRequestsFinishAndClosesIdleConnections() async throws {
        let started = Signal()
        let release = Signal()
        var configuration = HTTPServerConfiguration()
        configuration.shutdownGracePeriod = .seconds(30)
        let running = try RunningServer(
            configuration: configuration,
            responder: ClosureResponder { request in
                if request.path == "/slow" {
                    started.fire()
                    await release.wait()
                }
                return HTTPResponse(status: 200, contentType: "text/plain", body: Array("done".utf8))
            })
        let idle = try await running.connect()
        try await idle.send("GET /fast HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try await idle.response()?.head.status == 200)
        let busy = try await running.connect()
        try await busy.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        await started.wait()
        running.server.shutdown()
        #expect(await idle.seesClose())
        release.fire()
        let response = try #require(try await busy.response())
        #expect(response.text == "done")
        #expect(response.head.headers["Connection"] == "close")
        // The drain ends when the last request does, not when the 30 s grace period runs out.
        let drained = await finishes(within: .seconds(5)) { await running.task.value }
        #expect(drained, "run() did not return within 5 s of the last response")
        // No longer listening.
        await #expect(throws: IOError.self) { _ = try await TCPConnection.connect(to: running.address) }
    }

    @Test func shutdownCancelsRequestsThatOutliveTheGracePeriod() async throws {
        let started = Signal()
        var configuration = HTTPServerConfiguration()
        configuration.shutdownGracePeriod = .milliseconds(50)
        let running = try RunningServer(
            configuration: configuration,
            responder: ClosureResponder { _ in
                started.fire()
                try? await Task.sleep(for: .seconds(3600))  // only cancellation ends this
                return HTTPResponse(status: 200)
            })
        let client = try await running.connect()
        try await client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await started.wait()
        await running.stop()
        #expect(await client.seesClose())
    }

    @Test func thousandConcurrentConnectionsEachSendTenRequests() async throws {
        try await withRunningServer(responder: EchoResponder()) { running in
            let served = try await withThrowingTaskGroup(of: Int.self) { group in
                for connectionIndex in 0..<1000 {
                    group.addTask {
                        let client = try await running.connect()
                        var ok = 0
                        for requestIndex in 0..<10 {
                            try await client.send("GET /\(connectionIndex)/\(requestIndex) HTTP/1.1\r\nHost: x\r\n\r\n")
                            if try await client.response()?.text == "GET /\(connectionIndex)/\(requestIndex) " { ok += 1 }
                        }
                        client.connection.close()
                        return ok
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(served == 10_000)
        }
    }

    @Test func overTheConnectionCapNewClientsGet503() async throws {
        var configuration = HTTPServerConfiguration()
        configuration.maxConnections = 1
        try await withRunningServer(configuration: configuration, responder: EchoResponder()) { running in
            let first = try await running.connect()
            try await first.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await first.response()?.head.status == 200)
            let second = try await running.connect()
            #expect(try await second.response()?.head.status == 503)
        }
    }
}
