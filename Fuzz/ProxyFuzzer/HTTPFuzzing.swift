import HTTP1
import TestSupport

/// The HTTP/1.1 parsers and the SSE decoder: no input traps, and the result is the same
/// whether the bytes arrive at once or in pieces.
enum HTTPFuzzing {
    /// Small limits, so inputs of a few kilobytes reach the 413 and 431 paths.
    static let limits = HTTPParserLimits(maxHeaderBytes: 2048, maxBodyBytes: 16 * 1024, maxHeaderCount: 16)

    /// What a parser made of a byte stream, bodies joined so splits compare equal. Errors
    /// compare whole, reason included: a line is judged "too long" before its line end, so a
    /// split cannot change which error a client is told about.
    struct Transcript<Head: Equatable>: Equatable {
        var heads: [Head] = []
        var body: [UInt8] = []
        var ends = 0
        var error: HTTPParseError?
        var finished: String?
    }

    static func requestParser(_ input: [UInt8]) {
        let (pieces, payload) = input.splitForFuzzing()
        let whole = parseRequests([payload])
        let split = parseRequests(pieces)
        if whole != split { fuzzFailure("request parser differs by split: \(whole) vs \(split)") }
    }

    static func chunkedBody(_ input: [UInt8]) {
        // A fixed head, so every input is a chunked body (and its trailers, and what follows).
        let head = Array("POST /v1/messages HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
        let (pieces, payload) = input.splitForFuzzing()
        let whole = parseRequests([ArraySlice(head + payload)])
        let split = parseRequests([ArraySlice(head)] + pieces)
        if whole != split { fuzzFailure("chunked body differs by split: \(whole) vs \(split)") }
        if whole.heads.isEmpty { fuzzFailure("the fixed head did not parse") }
        // The same body as a response the client reads, held to the same rule.
        let responseHead = Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
        let wholeResponse = parseResponses([ArraySlice(responseHead + payload)], toHEAD: false)
        let splitResponse = parseResponses([ArraySlice(responseHead)] + pieces, toHEAD: false)
        if wholeResponse != splitResponse { fuzzFailure("chunked response body differs by split: \(wholeResponse) vs \(splitResponse)") }
        if wholeResponse.heads.isEmpty { fuzzFailure("the fixed response head did not parse") }
    }

    static func responseParser(_ input: [UInt8]) {
        var choices = FuzzInput(input)
        let toHEAD = choices.byte() & 1 == 1
        let (pieces, payload) = Array(choices.rest()).splitForFuzzing()
        let whole = parseResponses([payload], toHEAD: toHEAD)
        let split = parseResponses(pieces, toHEAD: toHEAD)
        if whole != split { fuzzFailure("response parser differs by split: \(whole) vs \(split)") }
    }

    static func sseDecoder(_ input: [UInt8]) {
        let (pieces, payload) = input.splitForFuzzing()
        let whole = decodeSSE([payload])
        let byPieces = decodeSSE(pieces)
        if whole != byPieces { fuzzFailure("SSE events differ by split") }
        let byByte = decodeSSE(payload.map { [$0] })
        if whole != byByte { fuzzFailure("SSE events differ when fed byte by byte") }
    }

    private static func parseRequests(_ pieces: [ArraySlice<UInt8>]) -> Transcript<HTTPRequestHead> {
        var parser = HTTPRequestParser(limits: limits)
        var transcript = Transcript<HTTPRequestHead>()
        for piece in pieces {
            parser.feed(piece)
            do {
                while let event = try parser.next() {
                    switch event {
                    case .head(let head): transcript.heads.append(head)
                    case .body(let part): transcript.body += part
                    case .end: transcript.ends += 1
                    }
                }
            } catch {
                transcript.error = error
                return transcript
            }
        }
        return transcript
    }

    private static func parseResponses(_ pieces: [ArraySlice<UInt8>], toHEAD: Bool) -> Transcript<HTTPResponseHead> {
        var parser = HTTPResponseParser(limits: limits)
        parser.expectResponse(toHEAD: toHEAD)
        var transcript = Transcript<HTTPResponseHead>()
        for piece in pieces {
            parser.feed(piece)
            if !drain(&parser, into: &transcript) { return transcript }
        }
        do {
            transcript.finished = "\(String(describing: try parser.finish()))"
        } catch {
            transcript.error = error
        }
        return transcript
    }

    /// Pulls events until more bytes are needed; false after an error.
    private static func drain(_ parser: inout HTTPResponseParser, into transcript: inout Transcript<HTTPResponseHead>) -> Bool {
        do {
            while let event = try parser.next() {
                switch event {
                case .head(let head): transcript.heads.append(head)
                case .body(let part): transcript.body += part
                case .end:
                    transcript.ends += 1
                    parser.expectResponse(toHEAD: false)
                }
            }
            return true
        } catch {
            transcript.error = error
            return false
        }
    }
}
