import Glibc
import HTTP1
import JSON
import Locking

/// Requests and tokens per key and model, a minute at a time over the last day, served to
/// an admin key at `GET /v1/usage?window=1h`. This process's own counts: each replica
/// answers for what it served.
final class UsageLedger: Sendable {
    private struct Entry: Hashable {
        var key: String?
        var model: String
    }

    private struct Counts {
        var requests = 0
        var inputTokens = 0
        var outputTokens = 0

        /// Adds without trapping (token counts are the upstream's).
        mutating func add(requests: Int, inputTokens: Int, outputTokens: Int) {
            self.requests = self.requests.saturatingAdd(requests)
            self.inputTokens = self.inputTokens.saturatingAdd(max(0, inputTokens))
            self.outputTokens = self.outputTokens.saturatingAdd(max(0, outputTokens))
        }
    }

    /// A day of minutes is kept.
    static let longestWindow = 86_400
    /// Model names come from clients: past this many distinct pairs in a minute, the rest
    /// count as model `other`.
    static let maxEntriesPerMinute = 1000

    private let minutes = Mutex<[(minute: Int, counts: [Entry: Counts])]>([])
    private let clock: @Sendable () -> Int

    init(clock: @escaping @Sendable () -> Int = { Int(time(nil)) }) {
        self.clock = clock
    }

    /// Counts a finished `/v1/messages` request under its key's name and the model it asked for.
    func record(_ fields: RequestRecord.Fields) {
        let minute = clock() / 60
        let model = fields.requestedModel ?? fields.upstreamModel ?? "none"
        minutes.withLock { minutes in
            if minutes.last?.minute != minute {
                minutes.append((minute, [:]))
                minutes.removeAll { $0.minute <= minute - Self.longestWindow / 60 }
            }
            let last = minutes.count - 1
            var entry = Entry(key: fields.keyName, model: model)
            if minutes[last].counts[entry] == nil && minutes[last].counts.count >= Self.maxEntriesPerMinute { entry.model = "other" }
            minutes[last].counts[entry, default: Counts()].add(requests: 1, inputTokens: fields.inputTokens ?? 0, outputTokens: fields.outputTokens ?? 0)
        }
    }

    /// The totals of the last `window` seconds (whole minutes, the current one included),
    /// sorted by key and model.
    func totals(window: Int) -> [(key: String?, model: String, requests: Int, inputTokens: Int, outputTokens: Int)] {
        let first = (clock() - window) / 60 + 1
        var sums: [Entry: Counts] = [:]
        minutes.withLock { minutes in
            for (minute, counts) in minutes where minute >= first {
                for (entry, count) in counts {
                    sums[entry, default: Counts()].add(requests: count.requests, inputTokens: count.inputTokens, outputTokens: count.outputTokens)
                }
            }
        }
        return sums.map { ($0.key.key, $0.key.model, $0.value.requests, $0.value.inputTokens, $0.value.outputTokens) }
            .sorted { ($0.key ?? "", $0.model) < ($1.key ?? "", $1.model) }
    }

    /// `GET /v1/usage`: for an admin key only (`"admin": true` in `PROXY_KEYS_FILE`).
    func response(_ request: HTTPRequest, caller: Caller) -> HTTPResponse {
        guard case .named(let key) = caller, key.isAdmin else {
            return AnthropicError(status: .forbidden, type: "permission_error", message: "GET /v1/usage needs an admin key (\"admin\": true in PROXY_KEYS_FILE)").response
        }
        var window = 3600
        if let text = request.head.queryItems?.first(where: { $0.name == "window" })?.value {
            guard let seconds = Self.seconds(text), seconds >= 60, seconds <= Self.longestWindow else {
                return AnthropicError(status: .badRequest, message: "window: '\(text.escapedForLog)' is not a duration from 60s to 24h (e.g. 15m, 1h, 24h)").response
            }
            window = seconds
        }
        let now = clock()
        let rows: [JSONValue] = totals(window: window).map { row in
            [
                "key": row.key.map { JSONValue($0) } ?? nil, "model": JSONValue(row.model), "requests": JSONValue(row.requests),
                "input_tokens": JSONValue(row.inputTokens), "output_tokens": JSONValue(row.outputTokens),
            ]
        }
        let body: JSONValue = [
            "window_seconds": JSONValue(window), "from": JSONValue(UTCTime.rfc3339(now - window)), "to": JSONValue(UTCTime.rfc3339(now)), "usage": .array(rows),
        ]
        return HTTPResponse(status: .ok, contentType: "application/json", body: body.serialized())
    }

    /// Seconds from `90`, `90s`, `15m`, `1h`; nil otherwise.
    static func seconds(_ text: String) -> Int? {
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600]
        var digits = Substring(text)
        var unit = 1
        if let last = digits.last, let factor = units[last] {
            unit = factor
            digits = digits.dropLast()
        }
        guard digits.count <= 6, let value = Int(digits), value >= 0 else { return nil }
        return value * unit
    }
}
