import AsyncIO
import JSON

/// One client request with server tools, answered by as many upstream turns as it takes:
/// each turn the model may call `web_search` / `web_fetch`; the proxy runs the calls, shows
/// the client `server_tool_use` and the result block, gives the model the results as tool
/// results, and asks again, until the model answers without a server-tool call (or calls a
/// client tool). Bounded by `max_uses`, `maxRounds` and `SERVER_TOOLS_TIME_LIMIT` (then the
/// answer so far ends with `pause_turn`, which clients answer by sending it back to continue),
/// and cancelled with the request when the client goes away.
struct ServerToolLoop: Sendable {
    let runner: ServerToolRunner
    let declarations: [ServerToolDeclaration]

    /// Upstream turns in one request, whatever `max_uses` allows.
    static let maxRounds = 16

    /// How the answer ended, and what it cost.
    struct Outcome: Sendable {
        var stopReason: String
        var stopSequence: JSONValue = nil
        var inputTokens = 0
        var outputTokens = 0
        var searchRequests = 0
        var fetchRequests = 0

        var usage: JSONValue {
            [
                "input_tokens": JSONValue(inputTokens), "output_tokens": JSONValue(outputTokens),
                "server_tool_use": ["web_search_requests": JSONValue(searchRequests), "web_fetch_requests": JSONValue(fetchRequests)],
            ]
        }
    }

    /// Runs the loop. `turn` asks the upstream once (a non-streamed request) and returns the
    /// translated Anthropic message; `first`, when given, is the first turn's, already asked
    /// (`firstTurn(of:)`); `emit` gets each block for the client as soon as it is known.
    func run(
        _ request: MessagesRequest,
        first: JSONValue? = nil,
        turn: (MessagesRequest) async throws(AnthropicError) -> JSONValue,
        emit: (JSONValue) async throws(AnthropicError) -> Void
    ) async throws(AnthropicError) -> Outcome {
        let deadline = ContinuousClock.now + runner.settings.loopTimeLimit
        var outcome = Outcome(stopReason: "end_turn")
        var uses: [ServerToolDeclaration.Kind: Int] = [:]
        // This answer's blocks so far, as the client sees them: the next turn's history.
        var answered: [JSONValue] = []
        for round in 0..<Self.maxRounds {
            guard !Task.isCancelled else { throw Self.clientGone }
            // The first turn always runs: a time limit of 0 means one turn and its calls.
            guard round == 0 || ContinuousClock.now < deadline else {
                outcome.stopReason = "pause_turn"
                return outcome
            }
            let message: JSONValue
            if round == 0, let first {
                message = first
            } else {
                message = try await turn(turnRequest(request, answered: answered, round: round))
            }
            outcome.inputTokens = outcome.inputTokens.saturatingAdd(message["usage"]?["input_tokens"]?.intValue ?? 0)
            outcome.outputTokens = outcome.outputTokens.saturatingAdd(message["usage"]?["output_tokens"]?.intValue ?? 0)
            var calledServerTool = false
            var calledClientTool = false
            for block in message["content"]?.arrayValue ?? [] {
                guard block["type"]?.stringValue == "tool_use", let name = block["name"]?.stringValue,
                    let declaration = declarations.first(where: { $0.name == name })
                else {
                    if block["type"]?.stringValue == "tool_use" { calledClientTool = true }
                    let block = SearchCitations.cite(block, results: SearchCitations.results(in: answered))
                    answered.append(block)
                    try await emit(block)
                    continue
                }
                calledServerTool = true
                let id = FastRandom.identifier(prefix: "srvtoolu_", count: 24)
                let input = block["input"] ?? [:]
                let use: JSONValue = ["type": "server_tool_use", "id": JSONValue(id), "name": JSONValue(name), "input": input]
                let context = PriorContext.sources(messages: request.body["messages"]?.arrayValue ?? [], answered: answered)
                answered.append(use)
                try await emit(use)
                guard !Task.isCancelled else { throw Self.clientGone }
                let result = await execute(declaration, input: input, id: id, context: context, uses: &uses, outcome: &outcome)
                answered.append(result)
                try await emit(result)
            }
            if !calledServerTool || calledClientTool {
                outcome.stopReason = calledClientTool ? "tool_use" : (message["stop_reason"]?.stringValue ?? "end_turn")
                outcome.stopSequence = calledClientTool ? nil : (message["stop_sequence"] ?? nil)
                return outcome
            }
        }
        outcome.stopReason = "pause_turn"
        return outcome
    }

    /// The upstream request of one turn: the client's request rewritten
    /// (`ServerToolHistory`) with this answer's blocks so far.
    func turnRequest(_ request: MessagesRequest, answered: [JSONValue] = [], round: Int = 0) -> MessagesRequest {
        var upstreamRequest = request
        upstreamRequest.stream = false
        upstreamRequest.body = ServerToolHistory.upstreamBody(Self.body(request.body, continuedWith: answered), declarations: declarations, relaxToolChoice: round > 0)
        // The body grew by the results: its size is what fits `max_tokens` to the model's window.
        upstreamRequest.bodyBytes = upstreamRequest.body.serialized().count
        return upstreamRequest
    }

    static let clientGone = AnthropicError(status: .clientClosedRequest, type: "api_error", message: "the client went away")

    /// One call run: its result block for the client.
    private func execute(
        _ declaration: ServerToolDeclaration, input: JSONValue, id: String, context: [JSONValue], uses: inout [ServerToolDeclaration.Kind: Int], outcome: inout Outcome
    ) async -> JSONValue {
        let used = uses[declaration.kind, default: 0]
        let overLimit = declaration.maxUses.map { used >= $0 } ?? false
        if !overLimit { uses[declaration.kind] = used + 1 }
        let started = ContinuousClock.now
        switch declaration.kind {
        case .webSearch:
            let content: JSONValue
            do throws(SearchFailure) {
                if overLimit { throw .maxUsesExceeded }
                if runner.searcher.provider != nil && input["query"]?.stringValue != nil { outcome.searchRequests += 1 }
                let results = try await runner.searcher.search(input, declaration: declaration)
                content = .array(results.map(SearchResultCodec.block))
                runner.noteCall(.webSearch, target: runner.searcher.provider?.name ?? "none", outcome: "ok", started: started)
            } catch {
                content = ["type": "web_search_tool_result_error", "error_code": JSONValue(error.rawValue)]
                runner.noteCall(.webSearch, target: runner.searcher.provider?.name ?? "none", outcome: error.rawValue, started: started)
            }
            return ["type": "web_search_tool_result", "tool_use_id": JSONValue(id), "content": content]
        case .webFetch:
            let content: JSONValue
            let host = (input["url"]?.stringValue).flatMap { FetchURL($0)?.host } ?? "-"
            do throws(FetchFailure) {
                if overLimit { throw .maxUsesExceeded }
                if let url = input["url"]?.stringValue, !PriorContext.mentions(url, in: context) { throw .urlNotInPriorContext }
                outcome.fetchRequests += 1
                content = try await runner.fetcher.fetch(input, declaration: declaration)
                runner.noteCall(.webFetch, target: host, outcome: "ok", started: started)
            } catch {
                content = ["type": "web_fetch_tool_result_error", "error_code": JSONValue(error.code)]
                runner.noteCall(.webFetch, target: host, outcome: error.code, started: started)
            }
            return ["type": "web_fetch_tool_result", "tool_use_id": JSONValue(id), "content": content]
        }
    }

    /// The client's body with this answer's blocks so far as the assistant's last turn
    /// (added to the client's own last assistant message when it ends the conversation).
    static func body(_ body: JSONValue, continuedWith blocks: [JSONValue]) -> JSONValue {
        guard !blocks.isEmpty, case .object(var object) = body, var messages = object["messages"]?.arrayValue else { return body }
        if let last = messages.last, last["role"]?.stringValue == "assistant" {
            let earlier: [JSONValue] = last["content"]?.arrayValue ?? (last["content"]?.stringValue).map { [["type": "text", "text": JSONValue($0)]] } ?? []
            messages[messages.count - 1] = ["role": "assistant", "content": .array(earlier + blocks)]
        } else {
            messages.append(["role": "assistant", "content": .array(blocks)])
        }
        object["messages"] = .array(messages)
        return .object(object)
    }
}
