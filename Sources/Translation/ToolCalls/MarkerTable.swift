/// Markers looked up by their first two bytes, so text with none of them is read once, byte
/// by byte, and a `<` in prose is dismissed at its second byte, however many formats are
/// watched for. The parser finds start markers with one, formats their closing markers.
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
    /// The longest marker's length in bytes.
    let longest: Int

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

    /// Markers that belong to no format (a format's closing markers).
    init(_ markers: [String]) {
        self.init(markers.map { ($0, nil) })
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

    /// The first marker in `text` at or after byte `from`: its offset and length, and its format.
    func firstMatch(in text: UnsafeBufferPointer<UInt8>, from: Int = 0) -> (offset: Int, length: Int, format: Int?)? {
        var offset = from
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

    /// UTF-8 length of the longest tail of `text` after byte `from` that is a proper prefix
    /// of a marker: what must be held back because the next piece may complete it.
    func partialTailLength(of text: UnsafeBufferPointer<UInt8>, from: Int = 0) -> Int {
        for offset in min(max(from, text.count - longest + 1), text.count)..<text.count {
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
