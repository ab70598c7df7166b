import TestSupport
import Testing

@testable import HTTP1

private func event(_ data: String, name: String? = nil, id: String? = nil) -> SSEEvent {
    SSEEvent(event: name, data: Array(data.utf8), id: id)
}

@Suite struct SSEDecoderTests {
    static let streams: [(name: String, text: String, events: [SSEEvent])] = [
        ("openai chunks and DONE", "data: {\"a\":1}\n\ndata: {\"b\":2}\n\ndata: [DONE]\n\n", [event("{\"a\":1}"), event("{\"b\":2}"), event("[DONE]")]),
        ("CRLF line ends", "data: x\r\n\r\ndata: y\r\n\r\n", [event("x"), event("y")]),
        ("CR line ends", "data: x\r\rdata: y\r\r", [event("x"), event("y")]),
        ("comments and keep-alives", ": keep-alive\n\ndata: x\n: mid-event comment\n\n", [event("x")]),
        ("multi-line data joined", "data: one\ndata: two\ndata:three\n\n", [event("one\ntwo\nthree")]),
        ("named events with ids", "event: message_start\nid: 7\ndata: {}\n\n", [event("{}", name: "message_start", id: "7")]),
        ("only one leading space stripped", "data:  two spaces\n\n", [event(" two spaces")]),
        ("final event without blank line", "data: a\n\ndata: last", [event("a"), event("last")]),
        ("no data, no event", "event: ping\n\nretry: 5\n\n", []),
        ("byte order mark", "\u{FEFF}data: x\n\n", [event("x")]),
    ]

    @Test(arguments: streams.indices)
    func decodesWholeOneByteAtATimeAndSplitAnywhere(index: Int) {
        let stream = Self.streams[index]
        for way in everySplit(of: stream.text) {
            #expect(decodeSSE(way.chunks) == stream.events, "\(stream.name): \(way.label)")
        }
    }

    /// Found by the upstream fault tests: a 100 MB line was rescanned on every read (the proxy
    /// spun) and held whole. Now a line or an event's data past the limit stops decoding.
    /// A throttled upstream's read ends wherever its budget does, mostly inside an event:
    /// while the decoder waits for the rest, it keeps that event's start, not the storage
    /// the whole read needed.
    @Test func aReadEndingInsideAnEventKeepsOnlyThatEventsStart() {
        var decoder = SSEDecoder()
        let whole = String(repeating: "data: {\"choices\":[{\"delta\":{\"content\":\"word\"}}]}\n\n", count: 200)
        decoder.feed(Array((whole + "data: {\"choi").utf8))
        var decoded = 0
        while decoder.next() != nil { decoded += 1 }
        #expect(decoded == 200)
        #expect(decoder.storageCapacity <= SSEDecoder.keptWhileWaiting, "holds \(decoder.storageCapacity) bytes while it waits")
        decoder.feed(Array("ces\":[]}\n\n".utf8))
        #expect(decoder.next() == event("{\"choices\":[]}"))
    }

    @Test func aLineOrEventPastTheLimitStopsDecoding() {
        var longLine = SSEDecoder(maxEventBytes: 1000)
        for _ in 0..<300 { longLine.feed(Array("aaaaaaaaaa".utf8)) }
        #expect(longLine.next() == nil)
        #expect(longLine.exceededLimit)
        longLine.feed(Array("\n\ndata: x\n\n".utf8))
        #expect(longLine.next() == nil && longLine.finish() == nil)
        var manyLines = SSEDecoder(maxEventBytes: 1000)
        manyLines.feed(Array(String(repeating: "data: 0123456789\n", count: 200).utf8))
        #expect(manyLines.next() == nil)
        #expect(manyLines.exceededLimit)
        var withinLimit = SSEDecoder(maxEventBytes: 1000)
        withinLimit.feed(Array(("data: " + String(repeating: "b", count: 900) + "\n\n").utf8))
        #expect(withinLimit.next()?.data.count == 900)
        #expect(!withinLimit.exceededLimit)
    }
}
