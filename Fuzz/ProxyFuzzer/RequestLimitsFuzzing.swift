import HTTP1
import JSON
import Translation

@testable import ChutesProxy

/// The request path's parse and preparation with a model list entry in play: the client's
/// body and `max_tokens` against a window and output limit the upstream chose, the numbers
/// picked from the extremes or read from the input. No input traps, and a prepared request
/// never asks for more than the client, the model's output limit or less than 1 token.
enum RequestLimitsFuzzing {
    /// Limits an upstream's list may give: absent, tiny, ordinary, and near `Int.max`.
    private static let limits: [Int?] = [nil, 1, 255, 1024, 8192, 131_072, 10_000_000, Int.max / 10, Int.max - 1, Int.max]

    static func requestWithLimits(_ bytes: [UInt8]) {
        var input = FuzzInput(bytes)
        let window = pick(&input)
        let output = pick(&input)
        let info = ModelInfo(id: "m", contextLength: window, maxOutputLength: output)
        // The client's number too: replaced by an extreme or an input-chosen one when the
        // chooser byte says so (mutation alone rarely writes 19 digits).
        let maxTokens = pick(&input)
        var body = Array(input.rest())
        if let maxTokens, case .object(var object)? = try? JSONValue(parsing: body) {
            object["max_tokens"] = JSONValue(maxTokens)
            body = JSONValue.object(object).serialized()
        }
        let http = HTTPRequest(head: HTTPRequestHead(method: .post, target: "/v1/messages"), body: body)
        guard let request = try? MessagesRequest.parse(http, key: { _ in "key" }) else { return }
        let builder = UpstreamRequestBuilder(configuration: ProxyConfiguration())
        guard let prepared = try? builder.prepare(request, model: "m", info: info) else { return }
        guard let requested = request.body["max_tokens"]?.intValue else {
            fuzzFailure("prepared a request without a client max_tokens")
        }
        guard prepared.maxTokens >= 1, prepared.maxTokens <= requested, prepared.maxTokens <= (output ?? .max) else {
            fuzzFailure("max_tokens \(prepared.maxTokens) for a request of \(requested) and an output limit of \(String(describing: output))")
        }
        guard let sent = try? JSONValue(parsing: prepared.body), sent["max_tokens"]?.intValue == prepared.maxTokens else {
            fuzzFailure("the upstream body does not carry the prepared max_tokens")
        }
    }

    /// One of `limits`, or eight bytes of the input as a number: every chooser byte names one,
    /// so mutation reaches each combination of extremes quickly.
    private static func pick(_ input: inout FuzzInput) -> Int? {
        let choice = input.choose(limits.count + 1)
        if choice < limits.count { return limits[choice] }
        var value = 0
        for _ in 0..<8 { value = value << 8 | Int(input.byte()) }
        return value > 0 ? value : nil
    }
}
