import JSON

/// What the upstream's model list (`GET /v1/models`) says about one model. Chutes fills
/// every field; a plain OpenAI-compatible server gives only `id`, and the rest stays nil.
public struct ModelInfo: Sendable, Equatable {
    /// The model's id in the upstream's list.
    public var id: String
    /// The context window in tokens: the smaller of `context_length` and `max_model_len`.
    public var contextLength: Int?
    /// The most tokens one answer may have (`max_output_length`).
    public var maxOutputLength: Int?
    /// The serving engine (`owned_by`: Chutes says `vllm` or `sglang`).
    public var ownedBy: String?
    /// `input_modalities`, e.g. `["text", "image"]`; nil when the list does not say.
    public var inputModalities: [String]?
    /// `supported_features`, e.g. `["json_mode", "tools", "reasoning"]`.
    public var supportedFeatures: [String]
    /// `created`, seconds since 1970; 0 when the list does not say.
    public var created = 0

    /// A model and what the list says of it.
    public init(id: String, contextLength: Int? = nil, maxOutputLength: Int? = nil, ownedBy: String? = nil, inputModalities: [String]? = nil, supportedFeatures: [String] = []) {
        self.id = id
        self.contextLength = contextLength
        self.maxOutputLength = maxOutputLength
        self.ownedBy = ownedBy
        self.inputModalities = inputModalities
        self.supportedFeatures = supportedFeatures
    }

    /// One entry of the list's `data`; nil without an `id`. Limits that are not positive
    /// whole numbers are ignored rather than trusted.
    public init?(listEntry entry: JSONValue) {
        guard let id = entry["id"]?.stringValue, !id.isEmpty else { return nil }
        func limit(_ key: String) -> Int? {
            guard let value = entry[key]?.intValue, value > 0 else { return nil }
            return value
        }
        let windows = [limit("context_length"), limit("max_model_len")].compactMap { $0 }
        self.init(
            id: id,
            contextLength: windows.min(),
            maxOutputLength: limit("max_output_length"),
            ownedBy: entry["owned_by"]?.stringValue,
            inputModalities: entry["input_modalities"]?.arrayValue?.compactMap(\.stringValue),
            supportedFeatures: entry["supported_features"]?.arrayValue?.compactMap(\.stringValue) ?? []
        )
        created = entry["created"]?.intValue ?? 0
    }

    /// Whether the model takes images; nil when the list does not say.
    public var acceptsImages: Bool? {
        inputModalities.map { $0.contains { $0.lowercased() == "image" } }
    }

    /// What holds for every member of a pool: the smallest limits, the engine when all
    /// agree, images only when all take them. Nil when any member is unknown, as a limit
    /// of the unknown one could be lower.
    static func common(_ members: [ModelInfo?]) -> ModelInfo? {
        guard let first = members.first, var result = first else { return nil }
        for case let member? in members.dropFirst() {
            result.id += "," + member.id
            result.contextLength = [result.contextLength, member.contextLength].compactMap { $0 }.min()
            result.maxOutputLength = [result.maxOutputLength, member.maxOutputLength].compactMap { $0 }.min()
            if result.ownedBy != member.ownedBy { result.ownedBy = nil }
            if let theirs = member.inputModalities {
                result.inputModalities = (result.inputModalities ?? theirs).filter(theirs.contains)
            }
            result.supportedFeatures = result.supportedFeatures.filter(member.supportedFeatures.contains)
        }
        return members.contains { $0 == nil } ? nil : result
    }
}
