import AsyncIO
import Locking

/// Serving one connection: read a request, answer it, repeat while keep-alive allows.
extension HTTPServer {
    private enum ReadOutcome {
        case request(HTTPRequest)
        /// Nothing to answer: end of stream, idle timeout, or a transport error.
        case closed
        /// The request cannot be served; answer with this status and close.
        case rejected(status: HTTPStatus, message: String)
    }

    /// Serves an accepted connection; with `configuration.tls` set, after the TLS handshake,
    /// which must finish within `requestReadTimeout`.
    func serve(_ connection: TCPConnection) async {
        guard let tls = configuration.tls else { return await serve(stream: connection) }
        guard let stream = try? await TLSStream.accept(over: connection, context: tls, deadline: .after(configuration.requestReadTimeout)) else {
            return  // the handshake failed or timed out; TLSStream closed the connection
        }
        await serve(stream: stream)
    }

    private func serve(stream connection: any ByteStream) async {
        defer { connection.close() }
        var parser = HTTPRequestParser(limits: configuration.limits)
        var isFirstRequest = true
        while !Task.isCancelled {
            let outcome = await readRequest(from: connection, parser: &parser, isFirst: isFirstRequest)
            isFirstRequest = false
            // Consumed: the request (its body) is handed on whole, not kept here for the
            // answer's life (a stream's minutes).
            switch consume outcome {
            case .closed:
                return
            case let .rejected(status, message):
                var response = configuration.errorResponse(status, message)
                response.headers.replaceOrAdd(name: "Connection", value: "close")
                _ = try? await writeSized(response, to: connection, version: .http1_1, includeBody: true, keepAlive: false)
                return
            case .request(let request):
                parser.dropConsumedBytes()
                let (keepOpen, pipelined) = await answer(consume request, on: connection)
                guard keepOpen else { return }
                if !pipelined.isEmpty { parser.feed(pipelined) }
            }
        }
    }

    /// Reads until one whole request is parsed. A fresh connection must start its request
    /// within `requestReadTimeout`, a kept-alive one within `idleTimeout`; once a request has
    /// begun it must be complete `requestReadTimeout` after its first byte.
    ///
    /// The read buffer exists only while a request is being read, and on plain TCP only once
    /// bytes are there: a connection whose answer streams for minutes, or that idles between
    /// requests, holds none (thousands of slow streams at once would hold 16 KB each).
    private func readRequest(
        from connection: any ByteStream,
        parser: inout HTTPRequestParser,
        isFirst: Bool
    ) async -> ReadOutcome {
        var buffer: UnsafeMutableRawBufferPointer?
        defer { buffer?.deallocate() }
        var head: HTTPRequestHead?
        var body: [UInt8] = []
        var requestDeadline: Deadline?
        /// Answered from the head: the rest of the body is read and dropped, then the connection closes.
        var answeredAtHead = false
        while true {
            let event: HTTPRequestParser.Event?
            do {
                event = try parser.next()
            } catch {
                return answeredAtHead ? .closed : .rejected(status: error.status, message: error.reason)
            }
            switch event {
            case .head(let parsed):
                head = parsed
                if let answer = responder.respond(toHead: parsed, remoteAddress: connection.connection.remoteAddress) {
                    answeredAtHead = true
                    guard (try? await writeSized(answer, to: connection, version: parsed.version, includeBody: parsed.method != .head, keepAlive: false)) != nil else {
                        return .closed
                    }
                    // A client waiting for `100 Continue` sends no body; any other is sending it
                    // now, and closing on unread bytes would reset the connection under the answer.
                    if parsed.expectsContinue { return .closed }
                    continue
                }
                if parsed.expectsContinue && parsed.version == .http1_1 {
                    do {
                        try await connection.send(Self.continueResponse, deadline: .after(configuration.writeTimeout))
                    } catch {
                        return .closed
                    }
                }
            case .body(let part):
                if !answeredAtHead { body.append(contentsOf: part) }
            case .end:
                guard let head, !answeredAtHead else { return .closed }
                return .request(HTTPRequest(head: head, body: body, remoteAddress: connection.connection.remoteAddress))
            case nil:
                let started = head != nil || parser.hasBufferedBytes
                if started && requestDeadline == nil { requestDeadline = .after(configuration.requestReadTimeout) }
                let deadline: Deadline
                if let requestDeadline {
                    deadline = requestDeadline
                } else if isFirst {
                    deadline = .after(configuration.requestReadTimeout)
                } else {
                    guard registry.markIdle(connection.connection) else { return .closed }
                    deadline = .after(configuration.idleTimeout)
                }
                let count: Int
                let readInto: UnsafeMutableRawBufferPointer
                do throws(ByteStreamError) {
                    if let buffer {
                        readInto = buffer
                    } else {
                        if let plain = connection as? TCPConnection {
                            do { try await plain.waitForBytes(deadline: deadline) } catch { throw ByteStreamError.io(error) }
                        }
                        readInto = .allocate(byteCount: Self.requestReadBufferSize, alignment: 1)
                        buffer = readInto
                    }
                    count = try await connection.receive(into: readInto, deadline: deadline)
                } catch .io(.timedOut) {
                    return started && !answeredAtHead ? .rejected(status: .requestTimeout, message: "the request was not received in time") : .closed
                } catch {
                    return .closed
                }
                if !started { registry.markBusy(connection.connection) }
                guard count > 0 else { return .closed }
                parser.feed(UnsafeRawBufferPointer(rebasing: readInto[..<count]))
            }
        }
    }

    /// The read buffer's size while a request is read: a 48 KB Claude Code request in a few reads.
    static let requestReadBufferSize = 16 * 1024

    private static let continueResponse = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    private enum AnswerEvent: Sendable {
        case responded(HTTPResponse)
        case written(keepOpen: Bool)
        case peer(bytes: [UInt8], ended: Bool)
    }

    /// Runs the responder and writes its response while watching the client: if the client
    /// hangs up first, the responder's task is cancelled (so upstream work stops at once).
    /// Returns whether to keep the connection open and any bytes of a pipelined next request
    /// read meanwhile.
    ///
    /// The response is made in a task of its own and written in another. A task keeps the
    /// memory of its deepest async frames until it ends, and making a response is deep
    /// (parse, route, translate, call the upstream: about 40 KB of frames for a
    /// `/v1/messages`), while writing a stream is shallow and lasts minutes. The request
    /// itself goes to the first task alone, so its body is freed once the response is made,
    /// unless the responder keeps it.
    private func answer(_ request: consuming HTTPRequest, on connection: any ByteStream) async -> (keepOpen: Bool, pipelined: [UInt8]) {
        let head = request.head
        let handOff = HandOff(consume request)
        return await withTaskGroup(of: AnswerEvent.self) { group in
            group.addTask {
                .responded(await self.responder.respond(to: handOff.take()!))
            }
            group.addTask {
                await Self.watchForHangUp(connection, limit: self.configuration.limits.maxHeaderBytes)
            }
            var pipelined: [UInt8] = []
            var keepOpen = false
            var clientGone = false
            while let event = await group.next() {
                switch event {
                case .responded(let response):
                    // A client gone before the answer is ready gets none: the response is
                    // dropped unwritten (a streamed one's owner hears of it, see `HTTPResponse`).
                    guard !clientGone else { continue }
                    let keepAlive = head.keepAlive && !registry.isDraining
                    group.addTask {
                        .written(keepOpen: await self.write(response, for: head, to: connection, keepAlive: keepAlive))
                    }
                case .written(let open):
                    keepOpen = open
                    group.cancelAll()
                case let .peer(bytes, ended):
                    pipelined = bytes
                    if ended {
                        clientGone = true
                        keepOpen = false
                        group.cancelAll()
                    }
                }
            }
            return (keepOpen && !connection.isClosed, pipelined)
        }
    }

    /// Reads whatever the client sends while its request is being answered: end of stream
    /// means it is gone; other bytes (a pipelined request) are kept, up to `limit`.
    private static func watchForHangUp(_ connection: any ByteStream, limit: Int) async -> AnswerEvent {
        var received: [UInt8] = []
        while received.count < limit {
            do throws(ByteStreamError) {
                // The client is almost always silent while its answer is prepared: on plain TCP
                // wait for readability first, so that costs no read call and no buffer.
                if received.isEmpty, let plain = connection as? TCPConnection {
                    do { try await plain.waitUntilReadable() } catch { throw .io(error) }
                }
                let bytes = try await connection.receive(maxBytes: 4096)
                if bytes.isEmpty { return .peer(bytes: received, ended: true) }
                received += bytes
            } catch .io(.cancelled) {
                return .peer(bytes: received, ended: false)
            } catch {
                return .peer(bytes: received, ended: true)
            }
        }
        return .peer(bytes: received, ended: false)
    }

    /// Writes a response; returns whether the connection may serve another request.
    private func write(_ response: HTTPResponse, for request: HTTPRequestHead, to connection: any ByteStream, keepAlive: Bool) async -> Bool {
        let includeBody = request.method != .head
        switch response.body {
        case .bytes:
            do {
                return try await writeSized(response, to: connection, version: request.version, includeBody: includeBody, keepAlive: keepAlive)
            } catch {
                return false
            }
        case .stream(let produce):
            guard response.headers.firstUnsafeField == nil else {
                return (try? await writeSized(response, to: connection, version: request.version, includeBody: includeBody, keepAlive: keepAlive)) ?? false
            }
            let chunked = request.version == .http1_1
            let keepAlive = keepAlive && chunked
            var head = HTTPResponseHead(status: response.status, headers: response.headers, version: .http1_1)
            head.headers.remove(name: "Content-Length")
            head.headers.remove(name: "Transfer-Encoding")
            if chunked { head.headers.add(name: "Transfer-Encoding", value: "chunked") }
            if !keepAlive { head.headers.replaceOrAdd(name: "Connection", value: "close") }
            do {
                try await connection.send(head.serialized(), deadline: .after(configuration.writeTimeout))
                guard includeBody else { return keepAlive }
                try await produce(HTTPBodyWriter(connection: connection, chunked: chunked, deadlineAfter: configuration.writeTimeout))
                if chunked { try await connection.send(ChunkedEncoding.terminator, deadline: .after(configuration.writeTimeout)) }
                return keepAlive
            } catch {
                return false
            }
        }
    }

    /// `response`, or a 500 in its place when one of its header fields cannot be written
    /// safely (see `HTTPHeaders.firstUnsafeField`): a value with a line break would let
    /// whoever chose it add headers or a whole response of their own.
    func writable(_ response: HTTPResponse) -> HTTPResponse {
        guard response.headers.firstUnsafeField != nil else { return response }
        let refusal = configuration.errorResponse(.internalServerError, "the response carried a header field that cannot be sent")
        guard refusal.headers.firstUnsafeField == nil, case .bytes = refusal.body else {
            return HTTPResponse(status: .internalServerError, contentType: "text/plain; charset=utf-8", body: Array("invalid response header field\n".utf8))
        }
        return refusal
    }

    /// Writes a response with a sized body in one system call.
    func writeSized(_ response: HTTPResponse, to connection: any ByteStream, version: HTTPVersion, includeBody: Bool, keepAlive: Bool) async throws(ByteStreamError) -> Bool {
        let response = writable(response)
        guard case .bytes(let body) = response.body else { return false }
        var head = HTTPResponseHead(status: response.status, headers: response.headers, version: .http1_1)
        head.headers.remove(name: "Transfer-Encoding")
        head.headers.replaceOrAdd(name: "Content-Length", value: String(body.count))
        if !keepAlive {
            head.headers.replaceOrAdd(name: "Connection", value: "close")
        } else if version == .http1_0 {
            head.headers.replaceOrAdd(name: "Connection", value: "keep-alive")
        }
        var bytes = head.serialized()
        if includeBody { bytes += body }
        try await connection.send(bytes, deadline: .after(configuration.writeTimeout))
        return keepAlive
    }
}
