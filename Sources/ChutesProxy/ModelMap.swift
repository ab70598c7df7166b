import JSON

/// `MODEL_MAP`: the upstream model for a model name the client asks for. Exact names win,
/// then names ignoring case, then `*` patterns in the order written (Claude Code asks for
/// Claude names such as `claude-3-5-haiku-20241022`, matched by `"claude-*haiku*"`).
public struct ModelMap: Sendable, Equatable {
    private(set) var entries: [(pattern: String, model: String)] = []

    public init() {}

    public init(_ entries: [(String, String)]) {
        self.entries = entries.map { (pattern: $0.0, model: $0.1) }
    }

    /// Reads the JSON object form, `{"claude-*haiku*": "Qwen/Qwen3-Coder"}`.
    public init(json text: String) throws(ConfigurationError) {
        guard let value = try? JSONValue(parsing: text), let object = value.objectValue else {
            throw ConfigurationError(variable: "MODEL_MAP", problem: "must be a JSON object of model names, e.g. {\"claude-*haiku*\":\"Qwen/Qwen3-Coder\"}")
        }
        for (pattern, model) in object {
            guard let model = model.stringValue else {
                throw ConfigurationError(variable: "MODEL_MAP", problem: "the value for \"\(pattern)\" must be a string")
            }
            entries.append((pattern: pattern, model: model))
        }
    }

    public static func == (lhs: ModelMap, rhs: ModelMap) -> Bool {
        lhs.entries.elementsEqual(rhs.entries) { $0.pattern == $1.pattern && $0.model == $1.model }
    }

    public var isEmpty: Bool { entries.isEmpty }

    /// The mapped name, or nil when no entry matches.
    public func upstreamModel(for name: String) -> String? {
        if let exact = entries.first(where: { $0.pattern == name && !$0.pattern.contains("*") }) { return exact.model }
        let lowered = name.lowercased()
        if let folded = entries.first(where: { $0.pattern.lowercased() == lowered && !$0.pattern.contains("*") }) { return folded.model }
        return entries.first { $0.pattern.contains("*") && Self.glob($0.pattern.lowercased(), matches: lowered) }?.model
    }

    /// `*` matches any run of characters; everything else literally.
    static func glob(_ pattern: String, matches text: String) -> Bool {
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        guard parts.count > 1 else { return pattern == text }
        guard text.hasPrefix(parts[0]) else { return false }
        var rest = Substring(text.dropFirst(parts[0].count))
        for part in parts.dropFirst().dropLast() where !part.isEmpty {
            guard let range = rest.firstRange(of: part) else { return false }
            rest = rest[range.upperBound...]
        }
        return rest.hasSuffix(parts.last!)
    }
}
