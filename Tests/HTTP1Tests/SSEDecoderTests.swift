import TestSupport
import Testing
@testable import HTTP1

private func decodeAll(_ chunks: [[UInt8]]) -> [SSEEvent] {
    var decoder = SSEDecoder()
    var events: [SSEEvent] = []
    for chunk in chunks {
        decoder.feed(chunk)
        while let event = decoder.next() { events.append(event) }
    }
    if let last = decoder.finish() { events.append(last) }
    return events
}

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
            #expect(decodeAll(way.chunks) == stream.events, "\(stream.name): \(way.label)")
        }
    }
}
