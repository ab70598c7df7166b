/// An HTML page reduced to its readable text, in one pass over the bytes (linear in the
/// page's size, output bounded by `limit`): tags dropped, `script`, `style`, `noscript`,
/// `template`, `svg` and `head` contents skipped, block elements and `<br>` as line breaks,
/// the common character references decoded, runs of white space collapsed. Not an HTML
/// parser: malformed markup gives imperfect text, never a failure.
struct HTMLText {
    var title: String?
    var text: String

    private static let skipped: [[UInt8]] = ["script", "style", "noscript", "template", "svg", "head"].map { Array($0.utf8) }
    private static let blocks: Set<[UInt8]> = Set(
        ["p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "header", "footer", "pre", "blockquote", "hr", "dd", "dt"]
            .map { Array($0.utf8) })

    init(html: [UInt8], limit: Int) {
        var output: [UInt8] = []
        output.reserveCapacity(min(html.count, limit))
        var titleBytes: [UInt8]?
        var index = 0
        var pendingSpace = false
        var pendingBreak = false
        var titleMayClose = true
        let count = html.count
        func emit(_ byte: UInt8) {
            if pendingBreak && !output.isEmpty {
                output.append(UInt8(ascii: "\n"))
            } else if pendingSpace && !output.isEmpty && output.last != UInt8(ascii: "\n") {
                output.append(UInt8(ascii: " "))
            }
            pendingBreak = false
            pendingSpace = false
            output.append(byte)
        }
        while index < count && output.count < limit {
            let byte = html[index]
            if byte == UInt8(ascii: "<") {
                // Comment: skip to -->.
                if html[index...].starts(with: "<!--".utf8) {
                    index = Self.find(Array("-->".utf8), in: html, from: index + 4).map { $0 + 3 } ?? count
                    continue
                }
                var end = index + 1
                let closing = end < count && html[end] == UInt8(ascii: "/")
                if closing { end += 1 }
                let nameStart = end
                while end < count, Self.isNameByte(html[end]) { end += 1 }
                let name = html[nameStart..<end].map { $0 | 0x20 }
                guard let close = html[end...].firstIndex(of: UInt8(ascii: ">")) else { break }
                index = close + 1
                if !closing, let skip = Self.skipped.first(where: { $0 == name }) {
                    let closer = Array("</".utf8) + skip
                    let stop = Self.find(closer, in: html, from: index, caseless: true) ?? count
                    // The title is the one thing of the head kept; searched within the head
                    // only, so every byte is scanned a bounded number of times.
                    if name == Array("head".utf8), let start = Self.find(Array("<title".utf8), in: html, from: index, before: stop, caseless: true),
                        let open = html[start..<stop].firstIndex(of: UInt8(ascii: ">")),
                        let end = Self.find(Array("</title".utf8), in: html, from: open, before: stop, caseless: true)
                    {
                        titleBytes = Array(html[(open + 1)..<end].prefix(1024))
                    }
                    index = stop < count ? (html[stop...].firstIndex(of: UInt8(ascii: ">")).map { $0 + 1 } ?? count) : count
                    continue
                }
                if name == Array("title".utf8), !closing, titleMayClose {
                    if let stop = Self.find(Array("</title".utf8), in: html, from: index, caseless: true) {
                        titleBytes = Array(html[index..<stop].prefix(1024))
                        index = stop
                        continue
                    }
                    // No `</title` in the rest: no later `<title>` needs to look again (each
                    // would scan to the end, quadratic in a page of unclosed titles).
                    titleMayClose = false
                }
                if Self.blocks.contains(name) { pendingBreak = true }
                continue
            }
            if byte == UInt8(ascii: "&"), let (decoded, length) = Self.reference(html, at: index) {
                for scalarByte in decoded { emit(scalarByte) }
                index += length
                continue
            }
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0C {
                pendingSpace = true
            } else {
                emit(byte)
            }
            index += 1
        }
        text = String(decoding: output.prefix(limit), as: UTF8.self)
        // A title holds text and character references only: the same reading, once more.
        title = titleBytes.map { HTMLText(html: $0, limit: 1024).text }.flatMap { $0.isEmpty ? nil : $0 }
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }

    /// The first `needle` at or after `start` (ASCII case ignored with `caseless`). Linear: the
    /// needles are short and fixed, and each search resumes past what the last one consumed.
    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int, before stop: Int? = nil, caseless: Bool = false) -> Int? {
        let last = (stop ?? haystack.count) - needle.count
        guard !needle.isEmpty, start <= last else { return nil }
        var index = start
        outer: while index <= last {
            for offset in 0..<needle.count {
                let byte = haystack[index + offset]
                if (caseless ? byte | 0x20 : byte) != (caseless ? needle[offset] | 0x20 : needle[offset]) {
                    index += 1
                    continue outer
                }
            }
            return index
        }
        return nil
    }

    private static let named: [[UInt8]: String] = [
        Array("amp".utf8): "&", Array("lt".utf8): "<", Array("gt".utf8): ">", Array("quot".utf8): "\"", Array("apos".utf8): "'", Array("nbsp".utf8): " ",
        Array("mdash".utf8): "\u{2014}", Array("ndash".utf8): "\u{2013}", Array("hellip".utf8): "\u{2026}", Array("copy".utf8): "\u{A9}",
    ]

    /// The bytes of the character reference at `index` and its length, or nil when none is there.
    private static func reference(_ html: [UInt8], at index: Int) -> ([UInt8], Int)? {
        let end = min(html.count, index + 12)
        guard let semicolon = html[(index + 1)..<end].firstIndex(of: UInt8(ascii: ";")) else { return nil }
        let body = Array(html[(index + 1)..<semicolon])
        if body.first == UInt8(ascii: "#") {
            let digits = body.dropFirst()
            let hex = digits.first == UInt8(ascii: "x") || digits.first == UInt8(ascii: "X")
            guard let value = UInt32(String(decoding: hex ? digits.dropFirst() : digits, as: UTF8.self), radix: hex ? 16 : 10), let scalar = Unicode.Scalar(value), value != 0 else {
                return nil
            }
            return (Array(String(Character(scalar)).utf8), semicolon - index + 1)
        }
        guard let text = named[body] else { return nil }
        return (Array(text.utf8), semicolon - index + 1)
    }
}
