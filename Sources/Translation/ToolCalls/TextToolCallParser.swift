/// Finds tool calls that a model wrote into its text, as the text streams.
///
/// Text before a marker flows out at once; only a tail that may still grow into a marker is
/// held back. A complete region whose calls parse becomes `.toolCall`s, with no markup left
/// in the text; one that does not parse (or names an undeclared tool) is passed on as text,
/// as is an unterminated region at the end: nothing is ever lost. Markers inside ``` code
/// fences are text: a model explaining the format is not calling a tool.
///
/// Every byte is read a bounded number of times however the text is cut: a region that
/// stays open is read on from where the last piece stopped, never from its start, so the
/// work over a stream is proportional to its length. A region still open after
/// `maxRegionBytes` is passed on as text, as an unterminated one would be at the end.
public struct TextToolCallParser: StreamingToolCallInterceptor {
    private let formats: [any TextToolCallFormat]
    private let tools: DeclaredTools
    /// Text received and not yet passed on: an open region, or a tail that may become a marker.
    private var pending = ""
    /// The format whose region is open, by index into `formats`.
    private var openRegion: Int?
    /// How far the open region was read.
    private var reading = RegionReading()
    private var inCodeFence = false
    /// Whitespace after a call, dropped if another call follows or the text ends.
    private var spaceAfterCall = ""
    private var afterCall = false
    /// Every format's start markers and the code fence, for one pass over the text.
    private let markers: MarkerTable
    /// The longest region held open, in UTF-8 bytes, markers included (never shorter than a
    /// start marker, which the formats read whole).
    let maxRegionBytes: Int
    /// Bytes looked at or copied so far, each time they were: the measure of work by which
    /// the tests hold the parser to linear time, whatever the clock of the machine.
    private(set) var work = 0

    /// The longest region held open by default: far beyond any real call (a whole answer of
    /// 128k tokens is about 0.5 MB), small enough that a stream cannot make the proxy hold
    /// a large part of its memory.
    public static let defaultMaxRegionBytes = 4 << 20

    private static let fence = "```"
    private static let fenceTable = MarkerTable([(fence, nil)])

    init(formats: [any TextToolCallFormat], tools: DeclaredTools, maxRegionBytes: Int = defaultMaxRegionBytes) {
        self.init(formats: formats, markers: Self.markerTable(for: formats), tools: tools, maxRegionBytes: maxRegionBytes)
    }

    /// With the marker table of `formats` already made (`markerTable(for:)`): what a request
    /// that declares tools would otherwise rebuild every time.
    init(formats: [any TextToolCallFormat], markers: MarkerTable, tools: DeclaredTools, maxRegionBytes: Int = defaultMaxRegionBytes) {
        self.formats = formats
        self.tools = tools
        self.markers = markers
        self.maxRegionBytes = max(markers.longest, maxRegionBytes)
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
        work &+= text.utf8.count
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
            work &+= region.utf8.count
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

    /// Reads `pending` from its start, passing on text and calls, until what is left must
    /// wait for more text; then drops what was passed on. Positions move forward only, and
    /// `pending` is copied once at the end (what is left, which is new text or a short
    /// tail), so a piece with many markers costs no more than one with none.
    private mutating func scan(into output: inout [InterceptedText], atEnd: Bool) {
        var position = pending.startIndex
        reading: while position < pending.endIndex {
            if let open = openRegion {
                let available = pending.utf8.distance(from: position, to: pending.endIndex)
                let limit = available > maxRegionBytes ? Self.scalarStart(pending, atOrBefore: pending.utf8.index(position, offsetBy: maxRegionBytes)) : pending.endIndex
                let examined = reading.bytesExamined
                let end = formats[open].regionEnd(in: pending[position..<limit], reading: &reading)
                work &+= reading.bytesExamined - examined
                guard let end else {
                    guard available > maxRegionBytes else { break reading }
                    // Held too long to be a call: passed on as text, as an unterminated region
                    // is at the end, and what follows is read as new text.
                    emitText(String(pending[position..<limit]), into: &output)
                    position = limit
                    closeRegion()
                    continue
                }
                let region = pending[position..<end]
                work &+= region.utf8.count
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
                position = end
                closeRegion()
                continue
            }
            let table = inCodeFence ? Self.fenceTable : markers
            let from = pending.utf8.distance(from: pending.startIndex, to: position)
            var text = pending
            let (found, keep) = text.withUTF8 { bytes in
                let found = table.firstMatch(in: bytes, from: from)
                return (found, found != nil || atEnd ? 0 : table.partialTailLength(of: bytes, from: from))
            }
            guard let found else {
                work &+= pending.utf8.count - from + table.longest
                let cut = pending.utf8.index(pending.utf8.endIndex, offsetBy: -keep)
                emitText(String(pending[position..<cut]), into: &output)
                position = cut
                break reading
            }
            work &+= found.offset + found.length - from
            let start = pending.utf8.index(pending.startIndex, offsetBy: found.offset)
            let markerEnd = pending.utf8.index(start, offsetBy: found.length)
            if inCodeFence {
                emitText(String(pending[position..<markerEnd]), into: &output)
                position = markerEnd
                inCodeFence = false
            } else if let format = found.format {
                emitText(String(pending[position..<start]), into: &output)
                position = start
                openRegion = format
            } else {
                emitText(String(pending[position..<markerEnd]), into: &output)
                position = markerEnd
                inCodeFence = true
            }
        }
        if position > pending.startIndex {
            pending = String(pending[position...])
            work &+= pending.utf8.count
        }
    }

    private mutating func closeRegion() {
        openRegion = nil
        reading = RegionReading()
    }

    /// `index`, or the start of the Unicode scalar it falls inside.
    private static func scalarStart(_ text: String, atOrBefore index: String.Index) -> String.Index {
        var index = index
        while index > text.startIndex && text.utf8[index] & 0xC0 == 0x80 { index = text.utf8.index(before: index) }
        return index
    }

    /// Passes text on, holding whitespace that only separates calls.
    /// Whitespace after a call is held: dropped when a call follows (the region parses) or the
    /// text ends, passed on before anything else, including markup that turns out not to be
    /// a call; so where the stream was cut does not matter. More of it than `maxRegionBytes`
    /// is not a separator and is passed on.
    private mutating func emitText(_ text: String, into output: inout [InterceptedText]) {
        guard !text.isEmpty else { return }
        if afterCall {
            if spaceAfterCall.utf8.count + text.utf8.count <= maxRegionBytes && text.allSatisfy(\.isWhitespace) {
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

    /// Adds text to the output, onto the text before it when there is some: that string is
    /// taken out of the array first, so it grows in place instead of being copied whole for
    /// each piece (a long answer of short pieces between markers would cost its square).
    private mutating func append(_ text: String, to output: inout [InterceptedText]) {
        work &+= text.utf8.count
        guard case .text(var previous)? = output.last else { return output.append(.text(text)) }
        output.removeLast()
        previous += text
        output.append(.text(previous))
    }
}
