import HTTP1
import JSON

/// `GET /v1/models` and `GET /v1/models/{id}` in Anthropic's shape, from the upstream's list.
struct ModelsHandler: Sendable {
    let upstream: Upstream

    /// One page of the list, as Anthropic pages it: `limit` (1 to 1000, default 20) models
    /// after `after_id`, before `before_id`, or from the start; `has_more` says whether more
    /// lie further in that direction, which the SDKs follow with `last_id` (or `first_id`).
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
            throw UpstreamErrors.fromResponse(status: response.status, body: body, estimatedPromptTokens: 0, redactor: upstream.redactor(for: key))
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
        var bytes: [UInt8] = []
        bytes.reserveCapacity(20)
        append(fromUnix: unclamped, to: &bytes)
        bytes.append(UInt8(ascii: "Z"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `YYYY-MM-DDTHH:MM:SS` (no zone letter) appended as bytes, clamped as `string(fromUnix:)`:
    /// log lines are stamped with it without making a string.
    static func append(fromUnix unclamped: Int, to output: inout [UInt8]) {
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
        // The clamp keeps the year within 1970...9999: always four digits.
        appendDigits(year, count: 4, to: &output)
        output.append(UInt8(ascii: "-"))
        appendDigits(month, count: 2, to: &output)
        output.append(UInt8(ascii: "-"))
        appendDigits(day, count: 2, to: &output)
        output.append(UInt8(ascii: "T"))
        appendDigits(secondOfDay / 3600, count: 2, to: &output)
        output.append(UInt8(ascii: ":"))
        appendDigits(secondOfDay % 3600 / 60, count: 2, to: &output)
        output.append(UInt8(ascii: ":"))
        appendDigits(secondOfDay % 60, count: 2, to: &output)
    }

    /// The last `count` decimal digits of a non-negative `value`, zero-padded.
    static func appendDigits(_ value: Int, count: Int, to output: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<count { divisor *= 10 }
        var value = value
        while divisor > 0 {
            output.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            value %= divisor
            divisor /= 10
        }
    }
}
