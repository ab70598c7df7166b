import JSON

/// `MODEL_MAP`: the upstream model (or fallback list) for a model name the client asks for.
/// Exact names win, then names ignoring case, then `*` patterns in the order written (Claude
/// Code asks for Claude names such as `claude-3-5-haiku-20241022`, matched by
/// `"claude-*haiku*"`). A value is a target (a name, which may be a Chutes pool `"a,b"`; a
/// provider's model, `openrouter::x` or `{"provider": "openrouter", "model": "x"}`) or a JSON
/// array of them, tried in order when one fails (see `UpstreamCaller`).
public struct ModelMap: Sendable, Equatable {
    private(set) var entries: [(pattern: String, models: [String])] = []
    /// Each entry's pattern lower-cased and whether it has a `*`, worked out once (at the end
    /// of every initializer) rather than on every request.
    private var compiled: [Compiled] = []

    private struct Compiled: Sendable {
        let lowered: String
        let isPattern: Bool
        init(_ pattern: String) {
            lowered = pattern.lowercased()
            isPattern = ModelMap.isPattern(pattern)
        }
    }

    /// An empty map: every model is sent as asked.
    public init() {}

    /// Pattern -> model pairs, in order.
    public init(_ entries: [(String, String)]) {
        self.entries = entries.map { (pattern: $0.0, models: [$0.1]) }
        compiled = self.entries.map { Compiled($0.pattern) }
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
        compiled = entries.map { Compiled($0.pattern) }
    }

    /// A target (a model name, `provider::model`, or `{"provider": ..., "model": ...}`) or a
    /// non-empty array of them, each in `ModelTarget`'s short form.
    static func modelList(_ value: JSONValue) throws(ModelListError) -> [String] {
        if let target = ModelTarget.text(from: value) { return [target] }
        guard let array = value.arrayValue, !array.isEmpty else {
            throw ModelListError(message: #"must be a model name, a {"provider":...,"model":...} object or a non-empty array of them"#)
        }
        var names: [String] = []
        for entry in array {
            guard let name = ModelTarget.text(from: entry) else {
                throw ModelListError(message: #"must hold only non-empty model names or {"provider":...,"model":...} objects"#)
            }
            names.append(name)
        }
        return names
    }

    struct ModelListError: Error { var message: String }

    /// Equal when the entries are equal in the same order.
    public static func == (lhs: ModelMap, rhs: ModelMap) -> Bool {
        lhs.entries.elementsEqual(rhs.entries) { $0.pattern == $1.pattern && $0.models == $1.models }
    }

    /// Whether the map has no entry.
    public var isEmpty: Bool { entries.isEmpty }

    /// The first mapped name, or nil when no entry matches.
    public func upstreamModel(for name: String) -> String? { upstreamModels(for: name)?.first }

    /// The mapped names in the order to try them, or nil when no entry matches.
    public func upstreamModels(for name: String) -> [String]? { entry(for: name)?.models }

    /// The entry that matches `name` (its pattern as written and its models), or nil.
    func entry(for name: String) -> (pattern: String, models: [String])? {
        if let exact = entries.indices.first(where: { entries[$0].pattern == name && !compiled[$0].isPattern }) { return entries[exact] }
        let lowered = name.lowercased()
        if let folded = compiled.indices.first(where: { compiled[$0].lowered == lowered && !compiled[$0].isPattern }) { return entries[folded] }
        return compiled.indices.first { compiled[$0].isPattern && Self.glob(compiled[$0].lowered, matches: lowered) }.map { entries[$0] }
    }

    /// The entries as written, one a line, for `routingDescription`.
    var lines: [String] {
        entries.map { "\($0.pattern) -> \($0.models.joined(separator: " | "))" }
    }

    private static func isPattern(_ pattern: String) -> Bool { pattern.utf8.contains(UInt8(ascii: "*")) }

    /// `*` matches any run of characters; everything else literally.
    /// Compared byte by byte (names are compared after lowercasing, never by Unicode rules).
    static func glob(_ pattern: String, matches text: String) -> Bool {
        let parts = pattern.utf8.split(separator: UInt8(ascii: "*"), omittingEmptySubsequences: false)
        guard parts.count > 1 else { return pattern == text }
        var rest = Substring(text).utf8[...]
        guard rest.starts(with: parts[0]) else { return false }
        rest = rest.dropFirst(parts[0].count)
        for part in parts.dropFirst().dropLast() where !part.isEmpty {
            guard let start = firstOccurrence(of: part, in: rest) else { return false }
            rest = rest[rest.index(start, offsetBy: part.count)...]
        }
        let last = parts[parts.count - 1]
        return rest.count >= last.count && rest.suffix(last.count).elementsEqual(last)
    }

    private static func firstOccurrence(of needle: Substring.UTF8View.SubSequence, in haystack: Substring.UTF8View.SubSequence) -> Substring.UTF8View.Index? {
        var start = haystack.startIndex
        while haystack.distance(from: start, to: haystack.endIndex) >= needle.count {
            if haystack[start...].starts(with: needle) { return start }
            start = haystack.index(after: start)
        }
        return nil
    }
}
