import HTTP1
import JSON

/// `GET /v1/models` and `GET /v1/models/{id}` in Anthropic's shape, from the upstreams'
/// lists: the default provider's models by their names, every other provider's as
/// `name::model`, so each listed id routes back to where it was listed.
struct ModelsHandler: Sendable {
    let upstreams: Upstreams

    /// One page of the list, as Anthropic pages it: `limit` (1 to 1000, default 20) models
    /// after `after_id`, before `before_id`, or from the start; `has_more` says whether more
    /// lie further in that direction, which the SDKs follow with `last_id` (or `first_id`).
    @inline(never)
    func list(_ request: HTTPRequest) async -> HTTPResponse {
        do throws(AnthropicError) {
            let query = try PageQuery(request.head)
            let page = try query.page(of: try await fetch(request))
            let body: JSONValue = [
                "data": .array(page.models),
                "has_more": JSONValue(page.hasMore),
                "first_id": page.models.first?["id"] ?? nil,
                "last_id": page.models.last?["id"] ?? nil,
            ]
            return HTTPResponse(status: .ok, contentType: "application/json", body: body.serialized())
        } catch {
            return error.response
        }
    }

    /// `encodedID` is the path after `/v1/models/`, percent-encoded as clients send it.
    @inline(never)
    func one(_ request: HTTPRequest, encodedID: String) async -> HTTPResponse {
        do throws(AnthropicError) {
            guard let id = PercentDecoding.decode(encodedID) else {
                throw AnthropicError(status: .badRequest, message: "model id: '\(encodedID)' is not valid percent-encoding")
            }
            let models = try await fetch(request)
            guard
                let model = models.first(where: { $0["id"]?.stringValue == id })
                    ?? models.first(where: { $0["id"]?.stringValue?.lowercased() == id.lowercased() })
            else {
                throw AnthropicError(status: .notFound, message: "model: \(id) is not offered by the upstream")
            }
            return HTTPResponse(status: .ok, contentType: "application/json", body: model.serialized())
        } catch {
            return error.response
        }
    }

    /// The paging parameters of `GET /v1/models`, checked as Anthropic checks them.
    struct PageQuery: Equatable {
        var limit = 20
        var afterID: String?
        var beforeID: String?

        static let limits = 1...1000

        init(limit: Int = 20, afterID: String? = nil, beforeID: String? = nil) {
            self.limit = limit
            self.afterID = afterID
            self.beforeID = beforeID
        }

        init(_ head: HTTPRequestHead) throws(AnthropicError) {
            guard let items = head.queryItems else { throw AnthropicError(status: .badRequest, message: "the query string is not valid percent-encoding") }
            for (name, value) in items {
                switch name {
                case "limit":
                    guard let limit = Int(value), Self.limits.contains(limit) else {
                        throw AnthropicError(status: .badRequest, message: "limit: Input should be a whole number from \(Self.limits.lowerBound) to \(Self.limits.upperBound)")
                    }
                    self.limit = limit
                case "after_id": afterID = value
                case "before_id": beforeID = value
                default: continue  // e.g. lifecycle filters: every listed model is active
                }
            }
            if afterID != nil && beforeID != nil {
                throw AnthropicError(status: .badRequest, message: "after_id and before_id: give at most one")
            }
        }

        /// The page of `models` this query asks for; a cursor naming no listed model is a 400.
        func page(of models: [JSONValue]) throws(AnthropicError) -> (models: [JSONValue], hasMore: Bool) {
            func position(_ id: String, _ parameter: String) throws(AnthropicError) -> Int {
                guard let index = models.firstIndex(where: { $0["id"]?.stringValue == id }) else {
                    throw AnthropicError(status: .badRequest, message: "\(parameter): \(id) is not in the model list")
                }
                return index
            }
            if let beforeID {
                let end = try position(beforeID, "before_id")
                let start = max(0, end - limit)
                return (Array(models[start..<end]), start > 0)
            }
            let start = try afterID.map { id throws(AnthropicError) in try position(id, "after_id") + 1 } ?? 0
            let end = min(models.count, start + limit)
            return (Array(models[start..<end]), end < models.count)
        }
    }

    /// Every provider's list, the default provider's first. The default provider's failure
    /// is the answer (as with one upstream); another provider's that cannot be listed is
    /// left out, so one provider down does not hide the others' models.
    private func fetch(_ request: HTTPRequest) async throws(AnthropicError) -> [JSONValue] {
        let primary = upstreams.primary
        let others = upstreams.all.dropFirst().filter { $0.provider.modelsEndpoint != nil }
        guard !others.isEmpty else { return try await Self.list(of: primary, key: primary.apiKey(for: request.headers)) }
        let results = await withTaskGroup(of: (Int, Result<[JSONValue], AnthropicError>).self) { group in
            group.addTask {
                do throws(AnthropicError) {
                    return (0, .success(try await Self.list(of: primary, key: primary.apiKey(for: request.headers))))
                } catch {
                    return (0, .failure(error))
                }
            }
            for (index, upstream) in others.enumerated() {
                group.addTask {
                    // From the provider's catalog (fetched at most once per MODEL_DISCOVERY_TTL and
                    // shared with routing), not asked anew: a client's `GET /v1/models` must not
                    // make the proxy spend every provider's key on every call.
                    let listed = await upstream.catalog.modelList() ?? []
                    return (index + 1, .success(listed.map { Self.entry(id: upstream.provider.name + ModelTarget.separator + $0.id, created: $0.created) }))
                }
            }
            var results = [Result<[JSONValue], AnthropicError>](repeating: .success([]), count: others.count + 1)
            for await (index, result) in group { results[index] = result }
            return results
        }
        var models: [JSONValue] = []
        for result in results { models += try result.get() }
        return models
    }

    /// The default provider's list in Anthropic's shape, asked with the client's key (per
    /// `CHUTES_AUTH_STYLE`) on every call, so a client sees what its own key may use.
    private static func list(of upstream: Upstream, key: String?) async throws(AnthropicError) -> [JSONValue] {
        let response: HTTPClientResponse
        do {
            response = try await upstream.send(method: .get, path: "/v1/models", body: [], key: key)
        } catch {
            throw error.error
        }
        let body = try await Upstream.collect(response, limit: 16 << 20)
        guard response.status == .ok else {
            throw UpstreamErrors.fromResponse(status: response.status, body: body, estimatedPromptTokens: 0, redactor: upstream.redactor(for: key))
        }
        guard let list = (try? JSONValue(parsing: body))?["data"]?.arrayValue else {
            throw AnthropicError(status: .badGateway, message: "the upstream's model list is not in OpenAI's shape")
        }
        return list.compactMap { entry in
            guard let id = entry["id"]?.stringValue else { return nil }
            return Self.entry(id: id, created: entry["created"]?.intValue ?? 0)
        }
    }

    /// A model in Anthropic's shape.
    private static func entry(id: String, created: Int) -> JSONValue {
        ["type": "model", "id": JSONValue(id), "display_name": JSONValue(id), "created_at": JSONValue(ISODate.string(fromUnix: created))]
    }
}
