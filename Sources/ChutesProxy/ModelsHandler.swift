import HTTP1
import JSON

/// `GET /v1/models` and `GET /v1/models/{id}` in Anthropic's shape, from the upstream's list.
struct ModelsHandler: Sendable {
    let upstream: Upstream

    func list(_ request: HTTPRequest) async -> HTTPResponse {
        do throws(AnthropicError) {
            let models = try await fetch(request)
            let page: JSONValue = [
                "data": .array(models),
                "has_more": false,
                "first_id": models.first?["id"] ?? nil,
                "last_id": models.last?["id"] ?? nil,
            ]
            return HTTPResponse(status: .ok, contentType: "application/json", body: page.serialized())
        } catch {
            return error.response
        }
    }

    func one(_ request: HTTPRequest, id: String) async -> HTTPResponse {
        do throws(AnthropicError) {
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

    private func fetch(_ request: HTTPRequest) async throws(AnthropicError) -> [JSONValue] {
        let key = upstream.apiKey(for: request.headers)
        let response: HTTPClientResponse
        do {
            response = try await upstream.send(method: .get, path: "/v1/models", body: [], key: key)
        } catch {
            throw error.error
        }
        let body = try await Upstream.collect(response, limit: 16 << 20)
        guard response.status == .ok else {
            throw UpstreamErrors.fromResponse(status: response.status, body: body, estimatedPromptTokens: 0, secrets: key.map { [$0] } ?? [])
        }
        guard let list = (try? JSONValue(parsing: body))?["data"]?.arrayValue else {
            throw AnthropicError(status: .badGateway, message: "the upstream's model list is not in OpenAI's shape")
        }
        return list.compactMap { entry in
            guard let id = entry["id"]?.stringValue else { return nil }
            let created = entry["created"]?.intValue ?? 0
            return ["type": "model", "id": JSONValue(id), "display_name": JSONValue(id), "created_at": JSONValue(ISODate.string(fromUnix: created))]
        }
    }
}

/// RFC 3339 timestamps from Unix seconds, as Anthropic's `created_at`.
enum ISODate {
    /// `seconds` comes from the upstream: it is clamped to years 1970 to 9999, which also
    /// keeps the arithmetic below from overflowing.
    static func string(fromUnix unclamped: Int) -> String {
        let seconds = min(max(unclamped, 0), 253_402_300_799)
        let days = seconds / 86400
        let secondOfDay = seconds - days * 86400
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(year)-\(two(month))-\(two(day))T\(two(secondOfDay / 3600)):\(two(secondOfDay % 3600 / 60)):\(two(secondOfDay % 60))Z"
    }
}
