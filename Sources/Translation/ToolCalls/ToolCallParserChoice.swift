/// What `TOOL_CALL_PARSER` chose, read once from configuration.
public enum ToolCallParserChoice: Sendable, Hashable, CustomStringConvertible {
    /// The family the model name suggests first, then every format unambiguous enough to
    /// watch for in any model's text.
    case auto
    /// No text is read as tool calls (`none` or `off`; a name that cannot be confused with
    /// `Optional.none`).
    case off
    /// Only this family's formats.
    case family(ToolCallFamily)

    /// Reads a setting: `auto`, `none` (or `off`), or a family by any of its names (any case,
    /// `-` or `_`); nil for anything else.
    public init?(setting: String) {
        switch setting.lowercased() {
        case "auto": self = .auto
        case "none", "off": self = .off
        default:
            guard let family = ToolCallFamily(setting: setting) else { return nil }
            self = .family(family)
        }
    }

    /// The setting's canonical text.
    public var description: String {
        switch self {
        case .auto: "auto"
        case .off: "none"
        case .family(let family): family.rawValue
        }
    }
}
