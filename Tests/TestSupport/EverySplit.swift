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

/// The ways a test feeds `text` to a consumer of decoded text deltas (the text tool-call
/// parser, the think-tag splitter): whole, and cut in two at every Unicode scalar boundary,
/// the finest cut a stream can make, since each upstream delta is a decoded JSON string.
public func everyScalarSplit(of text: String) -> [(label: String, pieces: [String])] {
    var ways: [(label: String, pieces: [String])] = [("whole", [text])]
    let scalars = Array(text.unicodeScalars)
    for split in 1..<max(scalars.count, 1) {
        var head = String.UnicodeScalarView(), tail = String.UnicodeScalarView()
        head.append(contentsOf: scalars[..<split])
        tail.append(contentsOf: scalars[split...])
        ways.append(("split at scalar \(split)", [String(head), String(tail)]))
    }
    return ways
}

/// The first of `everyScalarSplit(of: text)` for which `run` does not give `expected`, as
/// "label: result" for the failure message; nil when every way gives `expected`. Tests write
/// `#expect(firstSplitThatDiffers(text, expected: …) { … } == nil)`.
public func firstSplitThatDiffers<Result: Equatable>(_ text: String, expected: Result, run: ([String]) throws -> Result) rethrows -> String? {
    for way in everyScalarSplit(of: text) {
        let result = try run(way.pieces)
        if result != expected { return "\(way.label): \(result)" }
    }
    return nil
}
