import HTTP1
import JSON
import Translation

/// Step 1 of a `POST /v1/messages`: the client's request parsed and checked, with the key
/// for the upstream and the facts that routing reads. Nothing has been sent yet.
struct MessagesRequest: Sendable {
    var body: JSONValue
    /// The upstream key for this request (`CHUTES_AUTH_STYLE`).
    var key: String
    /// The model as the client asked for it, echoed in answers.
    var requestedModel: String
    /// `requestedModel` without the proxy's own reasoning suffix: what routes and `MODEL_MAP` match.
    var model: String
    var stream: Bool
    var thinking: Bool
    var hasImages: Bool
    var hasTools: Bool
    var enableThinkingHeader: Bool
    /// The body's size in bytes: a cheap upper bound of its tokens.
    var bodyBytes: Int
    /// `context_management`, checked; nil when the request had none.
    var contextManagement: ContextManagement?
    /// What the edits did, for `context_management.applied_edits` (compaction adds none here).
    var appliedEdits: [JSONValue] = []
    /// The compaction done for this request (`compact_20260112` past its trigger): its block
    /// opens the answer and its usage is the first of `usage.iterations`.
    var compaction: (block: JSONValue, iteration: JSONValue)?

    /// The longest model name (or Chutes pool `a,b,c`) taken: real names are under 100 bytes.
    /// The name is matched, case-corrected, guessed a tool-call family from, logged and
    /// labelled in metrics, so an unbounded one cost seconds of CPU and stayed in caches.
    static let maxModelNameBytes = 256

    /// Parses the body and finds the key (`key` throws the 401 when there is none); throws
    /// what Anthropic's API answers (400, 401).
    static func parse(_ request: HTTPRequest, key: (HTTPHeaders) throws(AnthropicError) -> String) throws(AnthropicError) -> MessagesRequest {
        let sent: JSONValue
        do {
            sent = try JSONValue(parsing: request.body)
        } catch {
            throw AnthropicError(status: .badRequest, message: "the request body is not valid JSON: \(error)")
        }
        guard sent.objectValue != nil else { throw AnthropicError(status: .badRequest, message: "body: Input should be a JSON object") }
        guard let modelValue = sent["model"] else { throw AnthropicError(status: .badRequest, message: "model: Field required") }
        guard let requested = modelValue.stringValue, !requested.isEmpty else {
            throw AnthropicError(status: .badRequest, message: "model: Input should be a non-empty string")
        }
        guard requested.utf8.count <= maxModelNameBytes else {
            throw AnthropicError(status: .badRequest, message: "model: String should have at most \(maxModelNameBytes) bytes (a model name, or a pool of them)")
        }
        let key = try key(request.headers)
        // Context edits apply before anything reads the messages (routing looks for images).
        let edited: (body: JSONValue, management: ContextManagement?, applied: [JSONValue])
        do {
            edited = try ContextEditor.edit(sent)
        } catch {
            throw AnthropicError(status: .badRequest, message: error.description)
        }
        let body = edited.body
        let enableThinkingHeader = request.headers["X-Enable-Thinking"]?.lowercased() == "true"
        return MessagesRequest(
            body: body,
            key: key,
            requestedModel: requested,
            model: RequestTranslator.strippingThinkingSuffix(requested).model,
            stream: body["stream"]?.boolValue ?? false,
            thinking: RequestTranslator.requestsThinking(body, enableThinkingHeader: enableThinkingHeader),
            hasImages: Self.containsImage(body["messages"]),
            hasTools: !(body["tools"]?.arrayValue?.isEmpty ?? true),
            enableThinkingHeader: enableThinkingHeader,
            bodyBytes: request.body.count,
            contextManagement: edited.management,
            appliedEdits: edited.applied
        )
    }

    /// The prompt's estimated size in tokens (reads the whole request: ask only when needed).
    var estimatedInputTokens: Int { TokenEstimator.estimate(request: body) }

    /// An image block anywhere in the messages, tool results included.
    private static func containsImage(_ messages: JSONValue?) -> Bool {
        for message in messages?.arrayValue ?? [] {
            for block in message["content"]?.arrayValue ?? [] {
                switch block["type"]?.stringValue {
                case "image": return true
                case "tool_result":
                    if block["content"]?.arrayValue?.contains(where: { $0["type"]?.stringValue == "image" }) == true { return true }
                default: continue
                }
            }
        }
        return false
    }
}
