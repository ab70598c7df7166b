// The text-trimming helpers every module above JSON shares (HTTP1 has its own for header
// values: `trimmingOptionalWhitespace`, spaces and tabs only, as RFC 9110 defines them).

extension StringProtocol {
    /// Without leading and trailing whitespace (Unicode's: spaces, tabs, line breaks, ...).
    package var trimmingWhitespace: Substring {
        trimming(while: \.isWhitespace)
    }

    /// The same as a `String`, for callers that keep or compare the result.
    package var trimmedWhitespace: String {
        String(trimmingWhitespace)
    }

    /// Without the line breaks at either end; spaces are kept (they may be part of a value).
    package var trimmingNewlines: Substring {
        trimming(while: \.isNewline)
    }

    private func trimming(while isTrimmed: (Character) -> Bool) -> Substring {
        let text = Substring(self)
        guard let first = text.firstIndex(where: { !isTrimmed($0) }), let last = text.lastIndex(where: { !isTrimmed($0) }) else {
            return text[text.endIndex...]
        }
        return text[first...last]
    }
}
