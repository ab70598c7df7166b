/// The `tool_use` ids of one answer. The upstream's own id is kept when it is usable; one that
/// is missing or empty (Ollama's older OpenAI endpoint, some servers) or that an earlier call
/// of the same answer already had gets a made-up `toolu_` id instead: the client matches each
/// `tool_result` to its call by id, so two calls with one id would leave one of them without
/// its result. The id the client sees is the one it sends back in
/// its history, where the call and its result carry it alike, so nothing maps them back.
struct ToolUseIDs: Sendable {
    /// The stem of the made-up ids: unique per answer, since the message id is.
    private let stem: String
    private var used: Set<String> = []

    /// The ids of the answer `messageID`.
    init(messageID: String) {
        stem = "toolu_\(messageID.suffix(12))_"
    }

    /// The id for a call: `upstream` when it is usable, else `stem` + `tag` (the call's place),
    /// made unique if need be.
    mutating func id(upstream: String?, tag: String) -> String {
        if let upstream, !upstream.isEmpty, used.insert(upstream).inserted { return upstream }
        var candidate = stem + tag
        var attempt = 1
        while !used.insert(candidate).inserted {
            attempt += 1
            candidate = stem + tag + "_\(attempt)"
        }
        return candidate
    }
}
