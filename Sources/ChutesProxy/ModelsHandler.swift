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
