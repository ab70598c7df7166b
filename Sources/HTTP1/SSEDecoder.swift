/// One server-sent event as received.
public struct SSEEvent: Sendable, Equatable {
    /// The `event` field; nil when the event had none (a plain `message`).
    public var event: String?
    /// The `data` lines joined with "\n".
    public var data: [UInt8]
    /// The `id` field; one holding NUL is ignored, as WHATWG says.
    public var id: String?
    /// A line that is not SSE at all but a bare JSON object, as an inference server writes
    /// when it fails mid-stream (`{"error": ...}` with no `data:`); `data` holds the line.
    public var isBareJSONLine: Bool

    /// An event; tests build them to compare with decoded ones.
    public init(event: String? = nil, data: [UInt8], id: String? = nil, isBareJSONLine: Bool = false) {
        self.event = event
        self.data = data
        self.id = id
        self.isBareJSONLine = isBareJSONLine
    }
}

/// An incremental server-sent-events decoder (WHATWG rules): lines may end in "\n", "\r\n"
/// or "\r" and split anywhere across feeds; comment lines are skipped; `data` lines are
/// joined with "\n"; an event is dispatched at a blank line when it has data.
public struct SSEDecoder: Sendable {
    private var buffer: [UInt8] = []
    private var start = 0
    private var event: String?
    private var data: [UInt8] = []
    private var hasData = false
    private var id: String?
    /// A "\r" ended the last line; a "\n" right after it belongs to that line end.
    private var skipLineFeed = false
    private var atStreamStart = true
    /// Where the search for the current line's end resumes (bytes before it hold no line end),
    /// so a long line arriving in many pieces is scanned once, not once per piece.
    private var searched = 0
    /// The longest line, and the most data one event may gather.
    public let maxEventBytes: Int
    /// True once a line or an event's data passed `maxEventBytes`; nothing more is decoded.
    public private(set) var exceededLimit = false

    /// A decoder that stops past `maxEventBytes` in one line or one event (16 MiB by default).
    public init(maxEventBytes: Int = 16 << 20) {
        self.maxEventBytes = maxEventBytes
    }

    /// Appends bytes as they arrive; `next()` decodes them.
    public mutating func feed(_ bytes: some Collection<UInt8>) {
        guard !exceededLimit else { return }
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            searched -= start
            start = 0
        } else if start > 4096 {
            buffer.removeSubrange(0..<start)
            searched -= start
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Appends bytes straight from a read buffer.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        feed(UnsafeBufferPointer(start: bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), count: bytes.count))
    }

    /// The next complete event; nil when more bytes are needed.
    public mutating func next() -> SSEEvent? {
        guard !exceededLimit else { return nil }
        while let line = nextLine() {
            if let event = process(line) { return event }
        }
        releaseWhileWaiting()
        return nil
    }

    /// Every complete event fed is decoded: storage that a burst of events grew is let go, so
    /// a stream that trickles holds at most the start of its next event while it waits (a
    /// stream is open for tens of seconds, thousands at once).
    private mutating func releaseWhileWaiting() {
        // Most reads end inside an event (a throttled upstream stops wherever its budget
        // ends): the start of that event moves to storage of its own size and the storage
        // the read grew goes (12 KB of every slow stream, measured with heaptrack).
        let unread = buffer.count - start
        if buffer.capacity > Self.keptWhileWaiting && unread <= buffer.capacity / 4 {
            buffer = unread == 0 ? [] : Array(buffer[start...])
            searched -= start
            start = 0
        }
        if !hasData && data.capacity > Self.keptWhileWaiting { data = [] }
    }

    /// The most storage kept while the next bytes are awaited: an event or two.
    static let keptWhileWaiting = 1 << 10

    /// The bytes of storage it holds now (what a waiting stream costs).
    var storageCapacity: Int { buffer.capacity + data.capacity }

    /// At end of input: a last event whose blank line never came.
    public mutating func finish() -> SSEEvent? {
        guard !exceededLimit else { return nil }
        if start < buffer.count {
            let line = buffer[start...]
            start = buffer.count
            if let event = process(line) { return event }
        }
        return dispatch()
    }

    private mutating func nextLine() -> ArraySlice<UInt8>? {
        if skipLineFeed, start < buffer.count {
            if buffer[start] == 10 { start += 1 }
            skipLineFeed = false
        }
        if atStreamStart, buffer.count - start >= 3 {
            if buffer[start] == 0xEF && buffer[start + 1] == 0xBB && buffer[start + 2] == 0xBF { start += 3 }
            atStreamStart = false
        } else if atStreamStart, buffer.count > start, buffer[start] != 0xEF {
            atStreamStart = false
        }
        guard !atStreamStart || buffer.count - start >= 3 else { return nil }
        let from = max(start, searched)
        let end: Int? = buffer.withUnsafeBufferPointer { bytes in
            var index = from
            // Eight bytes at a time while none is a line end (a word with one goes to the byte loop).
            let ones: UInt64 = 0x0101_0101_0101_0101
            let lineFeeds = ones &* 10, returns = ones &* 13
            while index + 8 <= bytes.count {
                let word = UInt64(littleEndian: UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self))
                let lineFeedBytes = word ^ lineFeeds, returnBytes = word ^ returns
                let zero = (lineFeedBytes &- ones) & ~lineFeedBytes | (returnBytes &- ones) & ~returnBytes
                let flagged = zero & (ones &* 0x80)
                if flagged != 0 {
                    // The lowest flagged byte is the first line end (false alarms only sit above one).
                    index += flagged.trailingZeroBitCount >> 3
                    break
                }
                index += 8
            }
            while index < bytes.count {
                let byte = bytes[index]
                if byte == 10 || byte == 13 { return index }
                index += 1
            }
            return nil
        }
        guard let end else {
            searched = buffer.count
            if buffer.count - start > maxEventBytes { stopDecoding() }
            return nil
        }
        searched = end + 1
        let line = buffer[start..<end]
        if buffer[end] == 13 {
            if end + 1 < buffer.count {
                start = buffer[end + 1] == 10 ? end + 2 : end + 1
            } else {
                start = end + 1
                skipLineFeed = true
            }
        } else {
            start = end + 1
        }
        return line
    }

    private mutating func process(_ line: ArraySlice<UInt8>) -> SSEEvent? {
        if line.isEmpty { return dispatch() }
        if line.first == UInt8(ascii: ":") { return nil }
        // WHATWG would read this as an unknown field and drop it; it is the upstream's last word.
        if line.first == UInt8(ascii: "{") { return SSEEvent(data: Array(line), isBareJSONLine: true) }
        let colon = line.firstIndex(of: UInt8(ascii: ":"))
        let name = line[line.startIndex..<(colon ?? line.endIndex)]
        var value = colon.map { line[($0 + 1)...] } ?? []
        if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
        if name.elementsEqual(Self.dataField) {
            if hasData { data.append(10) } else { startData() }
            data.append(contentsOf: value)
            hasData = true
            if data.count > maxEventBytes { stopDecoding() }
            return nil
        }
        switch String(decoding: name, as: UTF8.self) {
        case "data":
            if hasData { data.append(10) } else { startData() }
            data.append(contentsOf: value)
            hasData = true
        case "event":
            event = String(decoding: value, as: UTF8.self)
        case "id":
            if !value.contains(0) { id = String(decoding: value, as: UTF8.self) }
        default:
            break  // "retry" and unknown fields
        }
        return nil
    }

    /// Past the limit: drop what is held and decode nothing more (the caller reports it).
    private mutating func stopDecoding() {
        exceededLimit = true
        buffer = []
        data = []
        start = 0
        searched = 0
        hasData = false
    }

    private static let dataField = Array("data".utf8)

    /// Empties `data` for a new event. Its storage is reused: by now the last event handed
    /// out has usually been dropped, so this allocates nothing (an event still held keeps its
    /// own copy). Storage grown past 64 KiB by a large event is let go instead.
    private mutating func startData() {
        if data.capacity > 64 << 10 {
            data = []
        } else {
            data.removeAll(keepingCapacity: true)
        }
    }

    private mutating func dispatch() -> SSEEvent? {
        defer {
            event = nil
            hasData = false
        }
        guard hasData else { return nil }
        return SSEEvent(event: event, data: data, id: id)
    }
}
