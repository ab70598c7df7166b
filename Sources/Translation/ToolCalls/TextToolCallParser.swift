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

    private static let fence = "```"

    init(formats: [any TextToolCallFormat], tools: DeclaredTools) {
        self.formats = formats
        self.tools = tools
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
            if inCodeFence {
                guard let close = pending.firstRange(of: Self.fence) else {
                    let keep = atEnd ? 0 : Self.partialMarkerLength(at: pending, markers: [Self.fence])
                    emitText(String(pending.dropLast(keep)), into: &output)
                    pending = String(pending.suffix(keep))
                    return
                }
                emitText(String(pending[..<close.upperBound]), into: &output)
                pending = String(pending[close.upperBound...])
                inCodeFence = false
                continue
            }
            // The earliest marker or fence opening.
            var earliest: (range: Range<String.Index>, format: Int?)?
            if let fence = pending.firstRange(of: Self.fence) { earliest = (fence, nil) }
            for (index, format) in formats.enumerated() {
                for marker in format.startMarkers {
                    if let range = pending.firstRange(of: marker), earliest == nil || range.lowerBound < earliest!.range.lowerBound {
                        earliest = (range, index)
                    }
                }
            }
            guard let found = earliest else {
                let markers = formats.flatMap(\.startMarkers) + [Self.fence]
                let keep = atEnd ? 0 : Self.partialMarkerLength(at: pending, markers: markers)
                emitText(String(pending.dropLast(keep)), into: &output)
                pending = String(pending.suffix(keep))
                return
            }
            if let format = found.format {
                emitText(String(pending[..<found.range.lowerBound]), into: &output, beforeCall: true)
                pending = String(pending[found.range.lowerBound...])
                openRegion = format
            } else {
                emitText(String(pending[..<found.range.upperBound]), into: &output)
                pending = String(pending[found.range.upperBound...])
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

    /// Length of the longest tail of `text` that is a proper prefix of one of `markers`.
    static func partialMarkerLength(at text: String, markers: [String]) -> Int {
        let longest = markers.map(\.count).max() ?? 0
        var length = min(longest - 1, text.count)
        while length > 0 {
            let tail = text.suffix(length)
            if markers.contains(where: { $0.count > length && $0.hasPrefix(tail) }) { return length }
            length -= 1
        }
        return 0
    }
}
