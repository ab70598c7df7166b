/// Separates `<think>…</think>` reasoning (MiniMax-M2 and Qwen-style models write it inline;
/// Seed-OSS writes `<seed:think>…</seed:think>`, Kimi K3 its think channel) from answer text in a stream of text pieces,
/// with tags split anywhere across pieces. Reasoning is recognised only when the open tag
/// starts the output (after whitespace, at most `maxLeadingWhitespace` bytes of it), as
/// reasoning models write it; a tag later is text.
public struct ThinkTagSplitter: Sendable {
    /// A piece of reasoning or of answer text.
    public enum Piece: Sendable, Equatable {
        case thinking(String)
        case text(String)
    }

    private enum Phase {
        case start, thinking, text
        /// Just after `</think>`: the line breaks that separate thought from answer are dropped.
        case afterThinking
    }

    /// The reasoning tags, open and close.
    static let tags = [
        (open: "<think>", close: "</think>"), (open: "<seed:think>", close: "</seed:think>"),
        (open: "<|open|>think<|sep|>", close: "<|close|>think<|sep|>"),  // Kimi K3's think channel
    ]

    private var phase = Phase.start
    /// The close tag of the reasoning that is open.
    private var close = "</think>"
    /// Text held back because it may be the beginning of a tag.
    private var pending = ""
    /// At the start: UTF-8 length of the whitespace at the front of `pending` already read,
    /// so each piece is read once however many pieces of whitespace come first. (It stops
    /// before the last character, which a later piece may extend.)
    private var leadingWhitespaceRead = 0

    /// More whitespace than this before a reasoning tag, and the output is answer text: the
    /// splitter holds at most this much while it waits to see what comes.
    public static let maxLeadingWhitespace = 64 << 10

    /// A splitter at the start of the output.
    public init() {}

    /// True once the output is known to be answer text and nothing is held back: further
    /// text would come out unchanged.
    public var isPassingTextThrough: Bool { phase == .text && pending.isEmpty }

    /// Splits the next piece of output.
    public mutating func feed(_ text: String) -> [Piece] {
        pending += text
        var pieces: [Piece] = []
        while true {
            switch phase {
            case .start:
                let trimmed = pending[pending.utf8.index(pending.startIndex, offsetBy: leadingWhitespaceRead)...].drop { $0.isWhitespace }
                if pending.utf8.distance(from: pending.startIndex, to: trimmed.startIndex) > Self.maxLeadingWhitespace {
                    phase = .text
                    continue
                }
                if trimmed.isEmpty {
                    if !pending.isEmpty { leadingWhitespaceRead = pending.utf8.distance(from: pending.startIndex, to: pending.index(before: pending.endIndex)) }
                    return pieces
                }
                if let tag = Self.tags.first(where: { trimmed.hasPrefix($0.open) }) {
                    pending = String(trimmed.dropFirst(tag.open.count))
                    close = tag.close
                    phase = .thinking
                } else if Self.tags.contains(where: { $0.open.hasPrefix(trimmed) }) {
                    return pieces
                } else {
                    phase = .text
                }
            case .thinking:
                if let range = pending.firstRange(of: close) {
                    let thought = String(pending[..<range.lowerBound])
                    if !thought.isEmpty { pieces.append(.thinking(thought)) }
                    pending = String(pending[range.upperBound...])
                    phase = .afterThinking
                    continue
                }
                let keep = Self.partialSuffixLength(of: pending, matching: close)
                let flushed = String(pending.dropLast(keep))
                if !flushed.isEmpty { pieces.append(.thinking(flushed)) }
                pending = String(pending.suffix(keep))
                return pieces
            case .afterThinking:
                pending = String(pending.drop { $0 == "\n" })
                if pending.isEmpty { return pieces }
                phase = .text
            case .text:
                if !pending.isEmpty { pieces.append(.text(pending)) }
                pending = ""
                return pieces
            }
        }
    }

    /// Flushes what was held back, at the end of the output.
    public mutating func finish() -> [Piece] {
        defer { pending = "" }
        guard !pending.isEmpty else { return [] }
        return phase == .thinking ? [.thinking(pending)] : [.text(pending)]
    }

    /// Length of the longest suffix of `text` that is a proper prefix of `marker`.
    static func partialSuffixLength(of text: String, matching marker: String) -> Int {
        var length = min(marker.count - 1, text.count)
        while length > 0 {
            if marker.hasPrefix(text.suffix(length)) { return length }
            length -= 1
        }
        return 0
    }
}
