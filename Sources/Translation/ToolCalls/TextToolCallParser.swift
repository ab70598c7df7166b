/// Finds tool calls that a model wrote into its text, as the text streams.
///
/// Text before a marker flows out at once; only a tail that may still grow into a marker is
/// held back. A complete region whose calls parse becomes `.toolCall`s, with no markup left
/// in the text; one that does not parse (or names an undeclared tool) is passed on as text,
/// as is an unterminated region at the end: nothing is ever lost. Markers inside ``` code
/// fences are text: a model explaining the format is not calling a tool.
public struct TextToolCallParser: StreamingToolCallInterceptor {
    private let formats: [any TextToolCallFormat]
    private let tools: DeclaredTools
    private var pending = ""
    /// The format whose region is open, by index into `formats`.
    private var openRegion: Int?
    private var inCodeFence = false
    /// Whitespace after a call, dropped if another call follows or the text ends.
    private var spaceAfterCall = ""
    private var afterCall = false
    /// Every format's start markers and the code fence, for one pass over the text.
    private let markers: MarkerTable

    private static let fence = "```"
    private static let fenceTable = MarkerTable([(fence, nil)])

    init(formats: [any TextToolCallFormat], tools: DeclaredTools) {
        self.formats = formats
        self.tools = tools
        var entries: [(String, Int?)] = [(Self.fence, nil)]
        for (index, format) in formats.enumerated() {
            entries += format.startMarkers.map { ($0, index) }
        }
        markers = MarkerTable(entries)
    }

    public mutating func feed(_ text: String) -> [InterceptedText] {
        pending += text
        var output: [InterceptedText] = []
        scan(into: &output, atEnd: false)
        return output
    }

    public mutating func finish() -> [InterceptedText] {
        var output: [InterceptedText] = []
        scan(into: &output, atEnd: true)
        if let open = openRegion {
            // Some models omit the closing marker of the last region: try it as it is.
            let region = Substring(pending)
            if let calls = formats[open].parse(region, tools: tools) {
                output += calls.map(\.intercepted)
            } else {
                emitText(pending, into: &output)
            }
            openRegion = nil
        } else {
            emitText(pending, into: &output)
        }
        pending = ""
        return output
    }

    private mutating func scan(into output: inout [InterceptedText], atEnd: Bool) {
        while !pending.isEmpty {
            if let open = openRegion {
                guard let end = formats[open].regionEnd(in: Substring(pending)) else { return }
                let region = pending[..<end]
                if let calls = formats[open].parse(region, tools: tools) {
                    spaceAfterCall = ""
                    output += calls.map(\.intercepted)
                    afterCall = true
                } else {
                    emitText(String(region), into: &output)
                }
                pending = String(pending[end...])
                openRegion = nil
                continue
            }
            let table = inCodeFence ? Self.fenceTable : markers
            guard let found = table.firstMatch(in: pending) else {
                let keep = atEnd ? 0 : table.partialTailLength(of: pending)
                let cut = pending.utf8.index(pending.utf8.endIndex, offsetBy: -keep)
                emitText(String(pending[..<cut]), into: &output)
                pending = String(pending[cut...])
                return
            }
            let start = pending.utf8.index(pending.utf8.startIndex, offsetBy: found.offset)
            if inCodeFence {
                let close = pending.utf8.index(start, offsetBy: found.length)
                emitText(String(pending[..<close]), into: &output)
                pending = String(pending[close...])
                inCodeFence = false
            } else if let format = found.format {
                emitText(String(pending[..<start]), into: &output, beforeCall: true)
                pending = String(pending[start...])
                openRegion = format
            } else {
                let fenceEnd = pending.utf8.index(start, offsetBy: found.length)
                emitText(String(pending[..<fenceEnd]), into: &output)
                pending = String(pending[fenceEnd...])
                inCodeFence = true
            }
        }
    }

    /// Passes text on, holding whitespace that only separates calls.
    private mutating func emitText(_ text: String, into output: inout [InterceptedText], beforeCall: Bool = false) {
        guard !text.isEmpty else { return }
        if afterCall {
            if text.allSatisfy(\.isWhitespace) {
                if !beforeCall { spaceAfterCall += text }
                return
            }
            afterCall = false
            let text = spaceAfterCall + text
            spaceAfterCall = ""
            append(text, to: &output)
            return
        }
        append(text, to: &output)
    }

    private func append(_ text: String, to output: inout [InterceptedText]) {
        if case .text(let previous)? = output.last {
            output[output.count - 1] = .text(previous + text)
        } else {
            output.append(.text(text))
        }
    }
}

/// Markers looked up by their first byte, so text with none of them is read once, byte by
/// byte, however many formats are watched for.
struct MarkerTable: Sendable {
    private let markers: [(bytes: [UInt8], format: Int?)]
    /// For each byte value, the markers (by index, in the order given) that start with it.
    private let byFirstByte: [[Int]]
    private let longest: Int

    /// Markers and the format each opens (nil for the code fence); on a tie the earlier wins.
    init(_ entries: [(String, Int?)]) {
        markers = entries.map { (Array($0.0.utf8), $0.1) }
        var buckets = [[Int]](repeating: [], count: 256)
        for (index, marker) in markers.enumerated() where !marker.bytes.isEmpty {
            buckets[Int(marker.bytes[0])].append(index)
        }
        byFirstByte = buckets
        longest = markers.map(\.bytes.count).max() ?? 0
    }

    /// The first marker in `text`: its UTF-8 offset and length, and its format.
    func firstMatch(in text: String) -> (offset: Int, length: Int, format: Int?)? {
        var text = text
        return text.withUTF8 { bytes in
            for offset in bytes.indices {
                for index in byFirstByte[Int(bytes[offset])] {
                    let marker = markers[index].bytes
                    if offset + marker.count <= bytes.count && (1..<marker.count).allSatisfy({ bytes[offset + $0] == marker[$0] }) {
                        return (offset, marker.count, markers[index].format)
                    }
                }
            }
            return nil
        }
    }

    /// UTF-8 length of the longest tail of `text` that is a proper prefix of a marker: what
    /// must be held back because the next piece may complete it.
    func partialTailLength(of text: String) -> Int {
        var text = text
        return text.withUTF8 { bytes in
            for offset in max(0, bytes.count - longest + 1)..<bytes.count {
                let tail = bytes.count - offset
                for index in byFirstByte[Int(bytes[offset])] {
                    let marker = markers[index].bytes
                    if marker.count > tail && (1..<tail).allSatisfy({ bytes[offset + $0] == marker[$0] }) { return tail }
                }
            }
            return 0
        }
    }
}
