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
        self.init(formats: formats, markers: Self.markerTable(for: formats), tools: tools)
    }

    /// With the marker table of `formats` already made (`markerTable(for:)`): what a request
    /// that declares tools would otherwise rebuild every time.
    init(formats: [any TextToolCallFormat], markers: MarkerTable, tools: DeclaredTools) {
        self.formats = formats
        self.tools = tools
        self.markers = markers
    }

    /// The start markers of `formats` (and the code fence), for one pass over the text.
    static func markerTable(for formats: [any TextToolCallFormat]) -> MarkerTable {
        var entries: [(String, Int?)] = [(Self.fence, nil)]
        for (index, format) in formats.enumerated() {
            entries += format.startMarkers.map { ($0, index) }
        }
        return MarkerTable(entries)
    }

    /// Takes the next piece of model text; returns the text that can go out and the calls completed.
    public mutating func feed(_ text: String) -> [InterceptedText] {
        pending += text
        var output: [InterceptedText] = []
        scan(into: &output, atEnd: false)
        return output
    }

    /// At the end of the text: what was held back, an unterminated call as text.
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
                    // No calls: markup that is dropped (Kimi K3's response-channel wrappers).
                    if !calls.isEmpty {
                        spaceAfterCall = ""
                        output += calls.map(\.intercepted)
                        afterCall = true
                    }
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
                emitText(String(pending[..<start]), into: &output)
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
    /// Whitespace after a call is held: dropped when a call follows (the region parses) or the
    /// text ends, passed on before anything else, including markup that turns out not to be
    /// a call; so where the stream was cut does not matter.
    private mutating func emitText(_ text: String, into output: inout [InterceptedText]) {
        guard !text.isEmpty else { return }
        if afterCall {
            if text.allSatisfy(\.isWhitespace) {
                spaceAfterCall += text
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

/// Markers looked up by their first two bytes, so text with none of them is read once, byte
/// by byte, and a `<` in prose is dismissed at its second byte, however many formats are
/// watched for.
struct MarkerTable: Sendable {
    /// Every marker's UTF-8 bytes, one after another.
    private let bytes: [UInt8]
    private let starts: [Int]
    private let lengths: [Int]
    private let formats: [Int?]
    /// Markers by first byte: those starting with byte `b` are `members[bucketStart[b]..<bucketStart[b + 1]]`, in the order given.
    private let bucketStart: [Int]
    private let members: [Int]
    /// Bit `b2` of the 256-bit row `b1` is set when some marker starts with `b1 b2` (or is `b1` alone).
    private let secondBytes: [UInt64]
    private let longest: Int

    /// Markers and the format each opens (nil for the code fence); on a tie the earlier wins.
    init(_ entries: [(String, Int?)]) {
        var bytes: [UInt8] = [], starts: [Int] = [], lengths: [Int] = [], formats: [Int?] = []
        var buckets = [[Int]](repeating: [], count: 256)
        var secondBytes = [UInt64](repeating: 0, count: 256 * 4)
        for (marker, format) in entries {
            let utf8 = Array(marker.utf8)
            guard let first = utf8.first else { continue }
            buckets[Int(first)].append(starts.count)
            if utf8.count > 1 {
                secondBytes[Int(first) * 4 + Int(utf8[1]) / 64] |= 1 << UInt64(utf8[1] % 64)
            } else {
                for word in 0..<4 { secondBytes[Int(first) * 4 + word] = ~0 }
            }
            starts.append(bytes.count)
            lengths.append(utf8.count)
            formats.append(format)
            bytes += utf8
        }
        self.bytes = bytes
        self.starts = starts
        self.lengths = lengths
        self.formats = formats
        var bucketStart = [0]
        for bucket in buckets { bucketStart.append(bucketStart.last! + bucket.count) }
        self.bucketStart = bucketStart
        members = buckets.flatMap { $0 }
        self.secondBytes = secondBytes
        longest = lengths.max() ?? 0
    }

    /// Whether some marker starts with `first` followed by `second`.
    @inline(__always)
    private func mayStart(_ first: UInt8, _ second: UInt8) -> Bool {
        secondBytes[Int(first) * 4 + Int(second) / 64] & (1 << UInt64(second % 64)) != 0
    }

    /// Whether marker `index` matches `text` at `offset` for `count` bytes.
    @inline(__always)
    private func matches(_ index: Int, _ text: UnsafeBufferPointer<UInt8>, at offset: Int, count: Int) -> Bool {
        let start = starts[index]
        var position = 1
        while position < count {
            if text[offset + position] != bytes[start + position] { return false }
            position += 1
        }
        return true
    }

    /// The first marker in `text`: its UTF-8 offset and length, and its format.
    func firstMatch(in text: String) -> (offset: Int, length: Int, format: Int?)? {
        var text = text
        return text.withUTF8 { text in
            var offset = 0
            while offset < text.count {
                let first = text[offset]
                let bucket = bucketStart[Int(first)]..<bucketStart[Int(first) + 1]
                if !bucket.isEmpty && (offset + 1 == text.count || mayStart(first, text[offset + 1])) {
                    for member in bucket {
                        let index = members[member], length = lengths[index]
                        if offset + length <= text.count && matches(index, text, at: offset, count: length) {
                            return (offset, length, formats[index])
                        }
                    }
                }
                offset += 1
            }
            return nil
        }
    }

    /// The work a scan of `text` costs beyond one table lookup per byte: how many positions
    /// pass the two-byte filter (each then compares markers), and the hold-back window.
    /// For the throughput test: two tables that agree here cost the same on `text`.
    func scanCost(of text: String) -> (candidates: Int, holdBackWindow: Int) {
        var text = text
        let candidates = text.withUTF8 { text in
            (0..<text.count).count { offset in
                bucketStart[Int(text[offset])] < bucketStart[Int(text[offset]) + 1] && (offset + 1 == text.count || mayStart(text[offset], text[offset + 1]))
            }
        }
        return (candidates, longest - 1)
    }

    /// UTF-8 length of the longest tail of `text` that is a proper prefix of a marker: what
    /// must be held back because the next piece may complete it.
    func partialTailLength(of text: String) -> Int {
        var text = text
        return text.withUTF8 { text in
            for offset in max(0, text.count - longest + 1)..<text.count {
                let first = text[offset]
                let bucket = bucketStart[Int(first)]..<bucketStart[Int(first) + 1]
                guard !bucket.isEmpty, offset + 1 == text.count || mayStart(first, text[offset + 1]) else { continue }
                let tail = text.count - offset
                for member in bucket {
                    let index = members[member]
                    if lengths[index] > tail && matches(index, text, at: offset, count: tail) { return tail }
                }
            }
            return 0
        }
    }
}
