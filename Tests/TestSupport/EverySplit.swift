/// The ways a test feeds `bytes` to an incremental decoder (HTTP parser, SSE decoder, stream
/// relay): whole, one byte at a time, and cut in two at every boundary, each with a label
/// for failure messages. A decoder must give the same result for all of them.
public func everySplit(of bytes: [UInt8]) -> [(label: String, chunks: [[UInt8]])] {
    var ways: [(label: String, chunks: [[UInt8]])] = [("whole", [bytes]), ("byte by byte", bytes.map { [$0] })]
    for split in 0...bytes.count {
        ways.append(("split at \(split)", [Array(bytes[..<split]), Array(bytes[split...])]))
    }
    return ways
}

/// `everySplit(of:)` for the UTF-8 bytes of `text`.
public func everySplit(of text: String) -> [(label: String, chunks: [[UInt8]])] {
    everySplit(of: Array(text.utf8))
}
