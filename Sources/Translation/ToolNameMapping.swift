import JSON

/// Renames tools on the way to the upstream and back: the operator's `TOOL_NAME_MAP` first,
/// then names longer than the 64 characters OpenAI-style APIs accept are shortened
/// reversibly. Names coming back are matched to the declared spelling.
public struct ToolNameMapping: Sendable, Equatable {
    /// The operator's renames, global or per upstream model.
    public struct Rules: Sendable, Equatable {
        /// Renames for every model: client name -> upstream name.
        public var global: [String: String] = [:]
        /// Keyed by lower-cased model name.
        public var perModel: [String: [String: String]] = [:]

        /// Renames for every model and per upstream model (model names compared ignoring case).
        public init(global: [String: String] = [:], perModel: [String: [String: String]] = [:]) {
            self.global = global
            self.perModel = perModel
        }

        /// Reads `TOOL_NAME_MAP`: `{"from":"to"}` for every model, or `{"model":{"from":"to"}}`.
        public init(json text: String) throws(TranslationError) {
            guard let value = try? JSONValue(parsing: text), let object = value.objectValue else {
                throw TranslationError(field: "TOOL_NAME_MAP", message: "must be a JSON object")
            }
            for (key, entry) in object {
                if let to = entry.stringValue {
                    global[key] = to
                } else if let renames = entry.objectValue {
                    var map: [String: String] = [:]
                    for (from, to) in renames {
                        guard let to = to.stringValue else {
                            throw TranslationError(field: "TOOL_NAME_MAP", message: "\(key).\(from) must be a string")
                        }
                        map[from] = to
                    }
                    perModel[key.lowercased()] = map
                } else {
                    throw TranslationError(field: "TOOL_NAME_MAP", message: "\(key) must be a string or an object")
                }
            }
        }

        func renames(for model: String) -> [String: String] {
            global.merging(perModel[model.lowercased()] ?? [:]) { _, specific in specific }
        }
    }

    /// The longest tool name OpenAI-compatible upstreams accept; longer names are shortened.
    public static let maximumLength = 64

    private var toUpstream: [String: String] = [:]
    private var toClient: [String: String] = [:]
    private var declaredByLowercase: [String: String] = [:]

    /// No renames.
    public init() {}

    /// The mapping for the tools a request declares, sent to `model`.
    public init(declared names: [String], rules: Rules, model: String) {
        let renames = rules.renames(for: model)
        for name in names {
            var upstream = renames[name] ?? name
            if upstream.utf8.count > Self.maximumLength { upstream = Self.shorten(upstream) }
            toUpstream[name] = upstream
            toClient[upstream] = name
            declaredByLowercase[name.lowercased()] = name
        }
    }

    /// The name to send upstream for a declared tool (unchanged for undeclared names).
    public func upstreamName(_ name: String) -> String {
        toUpstream[name] ?? (name.utf8.count > Self.maximumLength ? Self.shorten(name) : name)
    }

    /// The declared name for a name the upstream used: exact, then mapped, then ignoring case.
    public func clientName(_ name: String) -> String {
        if let declared = toClient[name] { return declared }
        if let declared = declaredByLowercase[name.lowercased()] { return declared }
        if let upstream = toClient.first(where: { $0.key.lowercased() == name.lowercased() }) { return upstream.value }
        return name
    }

    /// A stable 64-character name: a prefix and a hash of the whole name.
    static func shorten(_ name: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        let suffix = String(hash, radix: 16)
        let padded = String(repeating: "0", count: 16 - suffix.count) + suffix
        return String(decoding: name.utf8.prefix(maximumLength - 17), as: UTF8.self) + "_" + padded
    }
}
