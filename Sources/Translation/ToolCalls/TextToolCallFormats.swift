import Locking

/// The formats a parser tries, in order, and their marker table, for each setting and model
/// family: a request that declares tools (Claude Code's all do) gets them from here instead
/// of ordering the formats and building the table again (a few percent of a 48 KB request).
/// There are a few dozen keys at most, so the table is never trimmed.
enum TextToolCallFormats {
    private struct Key: Hashable {
        let choice: ToolCallParserChoice
        let family: ToolCallFamily?
    }

    private static let table = Mutex<[Key: ([any TextToolCallFormat], MarkerTable)]>([:])

    static func cached(_ choice: ToolCallParserChoice, family: ToolCallFamily?) -> ([any TextToolCallFormat], MarkerTable) {
        let key = Key(choice: choice, family: family)
        if let known = table.withLock({ $0[key] }) { return known }
        let formats = ordered(choice, family: family)
        let made = (formats, TextToolCallParser.markerTable(for: formats))
        table.withLock { $0[key] = made }
        return made
    }

    /// A chosen family's formats alone; under `auto`, every format with the model's family's
    /// first (they replace the general ones with the same markers).
    private static func ordered(_ choice: ToolCallParserChoice, family: ToolCallFamily?) -> [any TextToolCallFormat] {
        if case .family(let chosen) = choice { return chosen.formats }
        var formats = ToolCallFamily.allFormats
        if let family {
            let preferred = family.formats
            formats.removeAll { format in preferred.contains { $0.startMarkers == format.startMarkers || type(of: $0) == type(of: format) && !(format is TaggedToolCallFormat) } }
            formats.insert(contentsOf: preferred, at: 0)
        }
        return formats
    }
}
