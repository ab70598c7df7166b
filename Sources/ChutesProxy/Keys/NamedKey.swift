/// One entry of `PROXY_KEYS_FILE`: a key known by its name (in the access line, the metrics
/// and `GET /v1/usage`) and its SHA-256 digest, with the limits and models it is held to.
public struct NamedKey: Sendable, Equatable {
    /// The name the key is known by; never the key.
    public let name: String
    /// SHA-256 of the key's bytes: the file gives it (`key_sha256`) or it is computed from `key`.
    let digest: [UInt8]
    /// What the key may spend.
    public let limits: KeyLimits
    /// Globs of the models the key may ask for (`*` and `?`, case-insensitive); empty: any.
    public let models: [String]
    /// Whether the key may read `GET /v1/usage`.
    public let isAdmin: Bool

    init(name: String, digest: [UInt8], limits: KeyLimits = KeyLimits(), models: [String] = [], isAdmin: Bool = false) {
        self.name = name
        self.digest = digest
        self.limits = limits
        self.models = models
        self.isAdmin = isAdmin
    }

    /// Whether the key may ask for `model` (the name the client sent).
    func allows(model: String) -> Bool {
        guard !models.isEmpty else { return true }
        let lowered = model.lowercased()
        return models.contains { ModelMap.glob($0.lowercased(), matches: lowered) }
    }
}

/// What one named key may spend; nil: no limit of that kind.
public struct KeyLimits: Sendable, Equatable {
    /// Requests started in a minute.
    public var requestsPerMinute: Int?
    /// Input tokens in a minute: estimated when a request starts, corrected to the
    /// upstream's count when it ends.
    public var inputTokensPerMinute: Int?
    /// Output tokens in a minute, as the upstream counted them.
    public var outputTokensPerMinute: Int?
    /// Input and output tokens in a UTC day.
    public var tokensPerDay: Int?
    /// Requests of the key being served at once, by this process.
    public var maxConcurrentRequests: Int?

    /// No limits.
    public init() {}

    /// Whether any limit is set: only then are the rate-limit headers sent and counters kept.
    public var isLimited: Bool {
        requestsPerMinute != nil || inputTokensPerMinute != nil || outputTokensPerMinute != nil || tokensPerDay != nil || maxConcurrentRequests != nil
    }

    /// Whether a token limit is set: only then is a request's input estimated before it starts.
    var limitsTokens: Bool { inputTokensPerMinute != nil || outputTokensPerMinute != nil || tokensPerDay != nil }
}
