import Glibc
import Locking

/// What a request of a limited key was charged when it started, settled when it ends.
struct KeyAdmission: Sendable {
    let keyName: String
    let limits: KeyLimits
    /// The input tokens charged before the request (`TokenEstimator`'s estimate; 0 when no
    /// token limit is set).
    let estimatedInput: Int
    /// Whether the request holds one of the key's `max_concurrent_requests` places.
    let holdsPlace: Bool
}

/// Holds named keys to their limits: `max_concurrent_requests` in this process, the rest
/// in `RateCounters` (this process's or Redis). Fixed windows: minutes and UTC days aligned
/// on the epoch, so every replica agrees where a window starts without talking.
final class KeyLimiter: Sendable {
    let counters: any RateCounters
    /// `counters` when they are this process's: asked directly, without a suspension.
    private let local: LocalCounters?
    private let inFlight = Mutex<[String: Int]>([:])
    /// Seconds since the epoch; a test sets the time.
    private let clock: @Sendable () -> Int

    init(counters: any RateCounters, clock: @escaping @Sendable () -> Int = { Int(time(nil)) }) {
        self.counters = counters
        local = counters as? LocalCounters
        self.clock = clock
    }

    static let minute = 60
    static let day = 86_400

    /// Admits a request of `key` or refuses it with a `429 rate_limit_error`; either way
    /// the `anthropic-ratelimit-*` headers describing the key's counters (empty when the
    /// counters cannot be reached). `estimatedInput` is called only when a token limit is set.
    func admit(_ key: NamedKey, estimatedInput: () -> Int) async -> (Result<KeyAdmission, AnthropicError>, headers: [(String, String)]) {
        let limits = key.limits
        var holdsPlace = false
        if let maximum = limits.maxConcurrentRequests {
            let taken = inFlight.withLock { inFlight in
                let current = inFlight[key.name, default: 0]
                guard current < maximum else { return false }
                inFlight[key.name] = current + 1
                return true
            }
            guard taken else {
                var error = AnthropicError(
                    status: .tooManyRequests, type: "rate_limit_error",
                    message: "key \(key.name) has \(maximum) requests in flight, its max_concurrent_requests: retry when one ends")
                error.retryAfterSeconds = 1
                return (.failure(error), [("retry-after", "1")])
            }
            holdsPlace = true
        }
        let estimate = limits.limitsTokens ? max(0, estimatedInput()) : 0
        let charges = Self.charges(limits, estimatedInput: estimate)
        let admission = KeyAdmission(keyName: key.name, limits: limits, estimatedInput: estimate, holdsPlace: holdsPlace)
        guard !charges.isEmpty else { return (.success(admission), []) }
        let now = clock()
        let outcome = if let local { local.charge(key: key.name, charges, now: now) } else { await counters.charge(key: key.name, charges, now: now) }
        switch outcome {
        case .admitted(let states):
            return (.success(admission), Self.headers(states))
        case .unavailable:
            return (.success(admission), [])
        case .refused(let states):
            if holdsPlace { release(key.name) }
            let over = zip(charges, states).filter { !$0.0.fits(used: $0.1.used) }
            let wait = max(1, over.map { $0.1.reset - now }.max() ?? 1)
            let what = over.map { charge, state in
                "\(Self.settingName(charge.kind)) \(charge.limit) (\(state.used) used\(charge.amount > 0 ? ", this request adds \(charge.amount)" : ""))"
            }.joined(separator: ", ")
            var error = AnthropicError(status: .tooManyRequests, type: "rate_limit_error", message: "key \(key.name) is over its limit: \(what); retry in \(wait) s")
            error.retryAfterSeconds = wait
            return (.failure(error), Self.headers(states))
        }
    }

    /// The request is done: its place is given back and its counters corrected to what the
    /// upstream reported (nil: nothing reported, so the estimate is given back). Done before
    /// the call returns with this process's counters, so the client's next request sees it;
    /// Redis is told in a task of its own.
    func settle(_ admission: KeyAdmission, inputTokens: Int?, outputTokens: Int?) {
        if admission.holdsPlace { release(admission.keyName) }
        let limits = admission.limits
        let input = max(0, inputTokens ?? 0)
        let output = max(0, outputTokens ?? 0)
        let inputCorrection = input.saturatingSubtract(admission.estimatedInput)
        var adjustments: [(kind: LimitKind, window: Int, delta: Int)] = []
        if limits.inputTokensPerMinute != nil { adjustments.append((.inputTokens, Self.minute, inputCorrection)) }
        if limits.outputTokensPerMinute != nil { adjustments.append((.outputTokens, Self.minute, output)) }
        if limits.tokensPerDay != nil { adjustments.append((.tokens, Self.day, inputCorrection.saturatingAdd(output))) }
        adjustments.removeAll { $0.delta == 0 }
        guard !adjustments.isEmpty else { return }
        let now = clock()
        if let local {
            local.adjust(key: admission.keyName, adjustments, now: now)
        } else {
            Task { [counters] in await counters.adjust(key: admission.keyName, adjustments, now: now) }
        }
    }

    private func release(_ name: String) {
        inFlight.withLock { inFlight in
            let left = inFlight[name, default: 1] - 1
            inFlight[name] = left > 0 ? left : nil
        }
    }

    static func charges(_ limits: KeyLimits, estimatedInput: Int) -> [Charge] {
        var charges: [Charge] = []
        if let limit = limits.requestsPerMinute { charges.append(Charge(kind: .requests, limit: limit, window: minute, amount: 1)) }
        if let limit = limits.inputTokensPerMinute { charges.append(Charge(kind: .inputTokens, limit: limit, window: minute, amount: estimatedInput)) }
        if let limit = limits.outputTokensPerMinute { charges.append(Charge(kind: .outputTokens, limit: limit, window: minute, amount: 0)) }
        if let limit = limits.tokensPerDay { charges.append(Charge(kind: .tokens, limit: limit, window: day, amount: estimatedInput)) }
        return charges
    }

    private static func settingName(_ kind: LimitKind) -> String {
        switch kind {
        case .requests: "requests_per_minute"
        case .inputTokens: "input_tokens_per_minute"
        case .outputTokens: "output_tokens_per_minute"
        case .tokens: "tokens_per_day"
        }
    }

    /// Anthropic's headers: limit, remaining and reset (RFC 3339) of each counter;
    /// `tokens-*` is the token counter with the least left (as Anthropic's "most restrictive
    /// limit"), which is `tokens_per_day`'s own when that is the tightest. Asked on every
    /// request of a limited key: names are constants and a reset time is written once.
    static func headers(_ states: [CounterState]) -> [(String, String)] {
        var headers: [(String, String)] = []
        headers.reserveCapacity(12)
        var written: (reset: Int, text: String)?
        func add(_ names: HeaderNames, _ state: CounterState) {
            let reset: String
            if let written, written.reset == state.reset {
                reset = written.text
            } else {
                reset = UTCTime.rfc3339(state.reset)
                written = (state.reset, reset)
            }
            headers.append((names.limit, String(state.limit)))
            headers.append((names.remaining, String(state.remaining)))
            headers.append((names.reset, reset))
        }
        var tightest: CounterState?
        for state in states {
            if state.kind != .tokens { add(HeaderNames.of(state.kind), state) }
            if state.kind != .requests, tightest.map({ state.remaining < $0.remaining }) ?? true { tightest = state }
        }
        if let tightest { add(HeaderNames.of(.tokens), tightest) }
        return headers
    }

    /// The three header names of one kind of limit.
    struct HeaderNames {
        let limit: String
        let remaining: String
        let reset: String

        private static let all: [LimitKind: HeaderNames] = Dictionary(
            uniqueKeysWithValues: LimitKind.allCases.map { kind in
                let prefix = "anthropic-ratelimit-\(kind.rawValue)"
                return (kind, HeaderNames(limit: prefix + "-limit", remaining: prefix + "-remaining", reset: prefix + "-reset"))
            })

        static func of(_ kind: LimitKind) -> HeaderNames { all[kind]! }
    }
}

/// Times as Anthropic's headers and the usage endpoint write them.
enum UTCTime {
    /// The last time written: every request of a minute asks for the same reset.
    private static let last = Mutex<(seconds: Int, text: String)?>(nil)

    /// `2026-12-02T04:01:00Z` for seconds since the epoch (proleptic Gregorian calendar).
    static func rfc3339(_ seconds: Int) -> String {
        if let text = last.withLock({ $0?.seconds == seconds ? $0?.text : nil }) { return text }
        let text = ISODate.string(fromUnix: seconds)
        last.withLock { $0 = (seconds, text) }
        return text
    }
}
