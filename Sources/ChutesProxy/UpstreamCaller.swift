import HTTP1
import JSON

/// Step 4 of a `POST /v1/messages`: sends the prepared request for a model and returns the
/// upstream's 200 answer, or throws the failure in Anthropic's words. A 404 for a model the
/// list spells differently (a stale list) is retried once with the refreshed spelling.
struct UpstreamCaller: Sendable {
    let upstream: Upstream
    let builder: UpstreamRequestBuilder

    /// An upstream's 200 answer and the request it answers.
    struct Answer: Sendable {
        var response: HTTPClientResponse
        var prepared: UpstreamRequestBuilder.Prepared
        var invocationID: String?
        /// The upstream key it was sent with (to scrub from what is shown).
        var key: String
    }

    private var configuration: ProxyConfiguration { upstream.configuration }

    /// One model (or Chutes pool): resolved against the model list, prepared, sent.
    func call(_ request: MessagesRequest, model: String) async throws(UpstreamFailure) -> Answer {
        let resolved = await upstream.catalog.resolve(model, correctCase: configuration.autoFixModelCase)
        var prepared = try prepare(request, model: resolved.name, info: resolved.info)
        var response = try await upstream.send(method: .post, path: "/v1/chat/completions", body: prepared.body, key: request.key)
        if response.status == 404 && configuration.autoFixModelCase {
            let refreshed = await upstream.catalog.resolve(model, correctCase: true, refresh: true)
            if refreshed.name != prepared.model {
                response.body.discard()
                prepared = try prepare(request, model: refreshed.name, info: refreshed.info)
                response = try await upstream.send(method: .post, path: "/v1/chat/completions", body: prepared.body, key: request.key)
            }
        }
        let invocationID = response.headers["x-chutes-invocationid"]
        guard response.status == 200 else {
            let errorBody = (try? await Upstream.collect(response, limit: 64 << 10)) ?? []
            let error = UpstreamErrors.fromResponse(status: response.status, body: errorBody, estimatedPromptTokens: prepared.context.estimatedInputTokens, secrets: [request.key])
            throw UpstreamFailure(error: error, retryAfter: response.headers["Retry-After"], invocationID: invocationID)
        }
        return Answer(response: response, prepared: prepared, invocationID: invocationID, key: request.key)
    }

    private func prepare(_ request: MessagesRequest, model: String, info: ModelInfo?) throws(UpstreamFailure) -> UpstreamRequestBuilder.Prepared {
        do {
            return try builder.prepare(request, model: model, info: info)
        } catch {
            throw UpstreamFailure(error: error)
        }
    }
}
