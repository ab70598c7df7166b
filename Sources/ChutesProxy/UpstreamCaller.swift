import AsyncIO
import HTTP1
import JSON
import Translation

/// Steps 3 and 4 of a `POST /v1/messages`: for each model of the plan in turn, prepares the
/// request (`UpstreamRequestBuilder`) and sends it, until one answers 200. A failure falls
/// over to the next model only when another model could do better (capacity, 5xx, unreachable,
/// timeout) and nothing has reached the client yet (it never has: the client's response
/// starts only with a 200). A 404 for a model the list spells differently (a stale list) is
/// retried once with the refreshed spelling. Each model is a target (`ModelTarget`): it goes
/// to its provider's `Upstream`, so a fallback list may cross providers.
struct UpstreamCaller: Sendable {
    let upstreams: Upstreams
    let builder: UpstreamRequestBuilder

    /// An upstream's 200 answer and the request it answers.
    struct Answer: Sendable {
        var response: HTTPClientResponse
        var prepared: UpstreamRequestBuilder.Prepared
        /// Scrubs the keys it was sent with from whatever of the upstream's is quoted.
        var redactor: SecretRedactor
        /// What answered as a target: the model sent, `provider::`-prefixed for a provider
        /// other than the default one.
        var target: String
    }

    private var configuration: ProxyConfiguration { upstreams.primary.configuration }
    private var metrics: ProxyMetrics { upstreams.primary.metrics }

    /// Tries the plan's models in order; `attempts` gets a line for each model tried or
    /// skipped. Throws the last failure when every model failed. With more than one model,
    /// each provider's circuit breaker skips its models that keep failing (when all are skipped, the one
    /// whose cool-down ends first is tried anyway). Each move from a model that failed or was
    /// skipped to the next one tried is counted in `chutes_proxy_fallbacks_total`.
    func call(_ request: MessagesRequest, plan: RoutePlan, attempts: inout [String]) async throws(UpstreamFailure) -> Answer {
        let guarded = plan.candidates.count > 1
        var lastFailure: UpstreamFailure?
        var soonest: (model: String, until: Deadline)?
        // The model the request is moving away from, once one failed over or was skipped.
        var movingFrom: String?
        for model in plan.candidates {
            let breaker = guarded ? Self.breaker(for: model, in: upstreams) : nil
            if let breaker, case .skip(let until) = await breaker.admit(model) {
                attempts.append("\(model): skipped (cooling down for \(until.remaining.components.seconds) s)")
                if soonest.map({ until < $0.until }) ?? true { soonest = (model, until) }
                movingFrom = model
                continue
            }
            if let movingFrom { metrics.fallback(from: movingFrom, to: model) }
            do {
                return try await attempt(request, model: model, breaker: breaker, admitted: true, attempts: &attempts)
            } catch {
                guard Self.fallsOver(error.error), !error.poolExhausted else { throw error }
                lastFailure = error
                movingFrom = model
            }
        }
        if let lastFailure { throw lastFailure }
        // Every model is cooling down: try the one that will be ready first rather than refuse.
        let model = soonest?.model ?? plan.candidates.first ?? request.model
        if let movingFrom, movingFrom != model { metrics.fallback(from: movingFrom, to: model) }
        return try await attempt(request, model: model, breaker: guarded ? Self.breaker(for: model, in: upstreams) : nil, admitted: false, attempts: &attempts)
    }

    /// The circuit breaker of `target`'s provider (nil for a provider that is not
    /// configured: that request fails with a 404 when tried). Its circuits are keyed by the
    /// target, which names the provider too.
    private static func breaker(for target: String, in upstreams: Upstreams) -> CircuitBreaker? {
        (try? upstreams.route(target))?.upstream.breaker
    }

    /// One model tried: its outcome goes into `attempts` and to the circuit breaker.
    /// `admitted`: the breaker let the request through, so it hears how it went (a failure
    /// that falls over counts against the model; any other failure releases its admission).
    /// Not admitted (every model was cooling down and this one is tried anyway): only a
    /// success is told, which ends the model's cool-down; a failure leaves it as it was.
    private func attempt(
        _ request: MessagesRequest, model: String, breaker: CircuitBreaker?, admitted: Bool, attempts: inout [String]
    ) async throws(UpstreamFailure) -> Answer {
        do {
            let answer = try await call(request, model: model)
            await breaker?.recordSuccess(model)
            attempts.append("\(model): 200" + (admitted ? "" : " (all cooling down; tried the first ready)"))
            return answer
        } catch {
            var failure = error
            failure.model = model
            attempts.append("\(model): \(error.error.status) \(error.error.type)" + (admitted ? "" : " (all cooling down)"))
            guard admitted else { throw failure }
            if Self.fallsOver(error.error) && !error.poolExhausted {
                await breaker?.recordFailure(model, retryAfter: error.retryAfter.map { RetryState.delay(retryAfter: $0, attempt: 0, cap: configuration.circuitBreaker.maximumCoolDown) })
            } else {
                await breaker?.release(model)
            }
            throw failure
        }
    }

    /// Failures another model may not have: overloaded or at capacity (529), a server error
    /// (500, 502), an unreachable upstream (502) or no answer in time (504). Request errors
    /// (400 and context length, 401, 402, 403, 404, 413), rate limits (429) and a client
    /// that went away (499) would fail the same way anywhere.
    static func fallsOver(_ error: AnthropicError) -> Bool {
        switch error.status {
        case .internalServerError, .badGateway, .serviceUnavailable, .gatewayTimeout, .overloaded: true
        default: false
        }
    }

    /// One target (a model or Chutes pool, possibly on another provider): resolved against
    /// its provider's model list, prepared with its quirks, sent with its key.
    func call(_ request: MessagesRequest, model target: String) async throws(UpstreamFailure) -> Answer {
        let upstream: Upstream
        let model: String
        do {
            (upstream, model) = try upstreams.route(target)
        } catch {
            throw UpstreamFailure(error: error)
        }
        let key = upstream.key(forClientKey: request.key)
        let resolved = await upstream.catalog.resolve(model, correctCase: configuration.autoFixModelCase)
        var prepared = try await prepare(request, model: resolved.name, info: resolved.info, quirks: upstream.provider.quirks)
        var response = try await upstream.send(method: .post, path: "/v1/chat/completions", body: prepared.body, key: key)
        if response.status == .notFound && configuration.autoFixModelCase {
            let refreshed = await upstream.catalog.resolve(model, correctCase: true, refresh: true)
            if refreshed.name != prepared.model {
                response.body.discard()
                prepared = try await prepare(request, model: refreshed.name, info: refreshed.info, quirks: upstream.provider.quirks)
                response = try await upstream.send(method: .post, path: "/v1/chat/completions", body: prepared.body, key: key)
            }
        }
        if response.status == .badRequest, prepared.context.outputSchema != nil, prepared.structuredOutput == .guided {
            let errorBody = (try? await Upstream.collect(response, limit: 64 << 10)) ?? []
            guard Self.refusesResponseFormat(errorBody) else {
                throw failure(status: response.status, body: errorBody, headers: response.headers, prepared: prepared, redactor: upstream.redactor(for: key))
            }
            // Once, with the schema in the system message; the answer is checked on arrival.
            prepared = try await prepare(request, model: prepared.model, info: resolved.info, quirks: upstream.provider.quirks, structuredOutput: .instructed)
            response = try await upstream.send(method: .post, path: "/v1/chat/completions", body: prepared.body, key: key)
        }
        guard response.status == .ok else {
            let errorBody = (try? await Upstream.collect(response, limit: 64 << 10)) ?? []
            throw failure(status: response.status, body: errorBody, headers: response.headers, prepared: prepared, redactor: upstream.redactor(for: key))
        }
        let answered = upstream.isDefault ? prepared.model : ModelTarget(provider: upstream.provider.name, model: prepared.model).text
        return Answer(response: response, prepared: prepared, redactor: upstream.redactor(for: key), target: answered)
    }

    /// An upstream's refusal of a request as the failure the client is told.
    private func failure(status: HTTPStatus, body: [UInt8], headers: HTTPHeaders, prepared: UpstreamRequestBuilder.Prepared, redactor: SecretRedactor) -> UpstreamFailure {
        let error = UpstreamErrors.fromResponse(
            status: status, body: body, estimatedPromptTokens: prepared.context.estimatedInputTokens, redactor: redactor)
        return UpstreamFailure(error: error, retryAfter: headers["Retry-After"])
    }

    /// A 400 about `response_format` (an engine without guided decoding, or one that cannot
    /// compile the schema), as opposed to one about the prompt, which a retry would not cure.
    static func refusesResponseFormat(_ body: [UInt8]) -> Bool {
        let text = String(decoding: body.prefix(64 << 10), as: UTF8.self).lowercased()
        return ["response_format", "json_schema", "guided", "grammar", "structured output", "schema"].contains { text.contains($0) }
    }

    /// Translation and the upstream body, off the reactor for a large request (`OffReactor`).
    private func prepare(
        _ request: MessagesRequest, model: String, info: ModelInfo?, quirks: ProviderQuirks, structuredOutput: StructuredOutput.Mode = .guided
    ) async throws(UpstreamFailure) -> UpstreamRequestBuilder.Prepared {
        do {
            return try await OffReactor.run(forBytes: request.bodyBytes) { [builder] () throws(AnthropicError) in
                try builder.prepare(request, model: model, info: info, quirks: quirks, structuredOutput: structuredOutput)
            }
        } catch {
            throw UpstreamFailure(error: error)
        }
    }
}
