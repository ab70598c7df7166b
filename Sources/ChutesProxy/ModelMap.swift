import JSON

/// `MODEL_MAP`: the upstream model (or fallback list) for a model name the client asks for.
/// Exact names win, then names ignoring case, then `*` patterns in the order written (Claude
/// Code asks for Claude names such as `claude-3-5-haiku-20241022`, matched by
/// `"claude-*haiku*"`). A value is a name (which may be a Chutes pool `"a,b"`) or a JSON
/// array of them, tried in order when one fails (see `UpstreamCaller`).
public struct ModelMap: Sendable, Equatable {
    private var entries: [(pattern: String, models: [String])] = []

    public init() {}

    public init(_ entries: [(String, String)]) {
        self.entries = entries.map { (pattern: $0.0, models: [$0.1]) }
    }

    /// Reads the JSON object form, `{"claude-*haiku*": "Qwen/Qwen3-Coder", "claude-*": ["a", "b"]}`.
    public init(json text: String) throws(ConfigurationError) {
        guard let value = try? JSONValue(parsing: text), let object = value.objectValue else {
            throw ConfigurationError(variable: "MODEL_MAP", problem: "must be a JSON object of model names, e.g. {\"claude-*haiku*\":\"Qwen/Qwen3-Coder\"}")
        }
        for (pattern, value) in object {
            do {
                entries.append((pattern: pattern, models: try Self.modelList(value)))
            } catch {
                throw ConfigurationError(variable: "MODEL_MAP", problem: "the value for \"\(pattern)\" \(error.message)")
            }
        }
    }

    /// A model name or a non-empty array of them.
    static func modelList(_ value: JSONValue) throws(ModelListError) -> [String] {
        if let name = value.stringValue, !name.isEmpty { return [name] }
        guard let array = value.arrayValue, !array.isEmpty else { throw ModelListError(message: "must be a model name or a non-empty array of model names") }
        var names: [String] = []
        for entry in array {
            guard let name = entry.stringValue, !name.isEmpty else { throw ModelListError(message: "must hold only non-empty model names") }
            names.append(name)
        }
        return names
    }

    struct ModelListError: Error { var message: String }

    public static func == (lhs: ModelMap, rhs: ModelMap) -> Bool {
        lhs.entries.elementsEqual(rhs.entries) { $0.pattern == $1.pattern && $0.models == $1.models }
    }

    public var isEmpty: Bool { entries.isEmpty }

    /// The first mapped name, or nil when no entry matches.
    public func upstreamModel(for name: String) -> String? { upstreamModels(for: name)?.first }

    /// The mapped names in the order to try them, or nil when no entry matches.
    public func upstreamModels(for name: String) -> [String]? {
        if let exact = entries.first(where: { $0.pattern == name && !$0.pattern.contains("*") }) { return exact.models }
        let lowered = name.lowercased()
        if let folded = entries.first(where: { $0.pattern.lowercased() == lowered && !$0.pattern.contains("*") }) { return folded.models }
        return entries.first { $0.pattern.contains("*") && Self.glob($0.pattern.lowercased(), matches: lowered) }?.models
    }

    /// The entries as written, one a line, for `describe()`.
    var lines: [String] {
        entries.map { "\($0.pattern) -> \($0.models.joined(separator: " | "))" }
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
        return rest.hasSuffix(parts[parts.count - 1])
    }
}
