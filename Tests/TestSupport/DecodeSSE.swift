import HTTP1

/// Every event an `SSEDecoder` finds in `chunks` fed in order, with the one left unterminated
/// at the end: how tests and the fuzzer read a whole event stream.
public func decodeSSE<Chunk: Collection<UInt8>>(_ chunks: [Chunk]) -> [SSEEvent] {
    var decoder = SSEDecoder()
    var events: [SSEEvent] = []
    for chunk in chunks {
        decoder.feed(chunk)
        while let event = decoder.next() { events.append(event) }
    }
    if let last = decoder.finish() { events.append(last) }
    return events
}
