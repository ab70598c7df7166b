import Locking

/// The kinds of limit a key has, named as Anthropic's rate-limit headers name them
/// (`anthropic-ratelimit-<kind>-limit`).
enum LimitKind: String, Sendable, CaseIterable {
    case requests
    case inputTokens = "input-tokens"
    case outputTokens = "output-tokens"
    /// `tokens_per_day`: input and output together, over a UTC day.
    case tokens
}

/// One counter a request is charged to: its kind, the limit, the window (fixed windows of
/// `window` seconds aligned on the Unix epoch: minutes, and UTC days) and what the request
/// adds.
struct Charge: Sendable, Equatable {
    var kind: LimitKind
    var limit: Int
    var window: Int
    var amount: Int
}

/// A counter after a charge: what it counts now and when its window ends.
struct CounterState: Sendable, Equatable {
    var kind: LimitKind
    var limit: Int
    var used: Int
    /// The end of the window, in seconds since the Unix epoch.
    var reset: Int

    var remaining: Int { max(0, limit - used) }
}

/// Whether a request fits, with the counters as they stand.
enum ChargeOutcome: Sendable, Equatable {
    /// Every counter was charged.
    case admitted([CounterState])
    /// At least one counter would go over its limit: nothing was charged.
    case refused([CounterState])
    /// The counters cannot be reached (Redis down): the request is let through, uncounted.
    case unavailable
}

/// Where the counters of the limits live: in this process (`LocalCounters`) or in Redis
/// (`RedisCounters`), shared by every replica. A charge is all or nothing: a request fits
/// when, for every counter, the count has not reached the limit and the count plus what the
/// request adds stays within it.
protocol RateCounters: Sendable {
    /// Charges every counter of `key` if all of them fit, at `now` (seconds since the epoch).
    func charge(key: String, _ charges: [Charge], now: Int) async -> ChargeOutcome
    /// Adds `delta` (negative: gives back; never below zero) to the current window of each.
    func adjust(key: String, _ adjustments: [(kind: LimitKind, window: Int, delta: Int)], now: Int) async
}

extension Charge {
    /// The start of the window `now` falls in.
    func windowStart(_ now: Int) -> Int { now - now % window }

    /// Whether a counter at `used` takes this charge.
    func fits(used: Int) -> Bool { used < limit && amount <= limit - used }
}

/// The counters in this process's memory, behind one lock: one dictionary lookup by key
/// name and a few additions per request.
final class LocalCounters: RateCounters {
    fileprivate struct Slot {
        var windowStart = Int.min
        var used = 0

        /// The count in the window starting at `start`.
        func used(inWindowStarting start: Int) -> Int { windowStart == start ? used : 0 }
    }

    /// One slot per `LimitKind`, in `LimitKind.allCases` order.
    fileprivate struct Slots {
        var slots = [Slot](repeating: Slot(), count: LimitKind.allCases.count)

        subscript(kind: LimitKind) -> Slot {
            get { slots[kind.index] }
            set { slots[kind.index] = newValue }
        }
    }

    private let counters = Mutex<[String: Slots]>([:])

    func charge(key: String, _ charges: [Charge], now: Int) -> ChargeOutcome {
        counters.withLock { counters in
            counters[key, default: Slots()].charge(charges, now: now)
        }
    }

    func adjust(key: String, _ adjustments: [(kind: LimitKind, window: Int, delta: Int)], now: Int) {
        counters.withLock { counters in
            counters[key, default: Slots()].adjust(adjustments, now: now)
        }
    }
}

extension LocalCounters.Slots {
    fileprivate mutating func charge(_ charges: [Charge], now: Int) -> ChargeOutcome {
        var fits = true
        var states: [CounterState] = []
        states.reserveCapacity(charges.count)
        for charge in charges {
            let start = charge.windowStart(now)
            let used = self[charge.kind].used(inWindowStarting: start)
            fits = fits && charge.fits(used: used)
            states.append(CounterState(kind: charge.kind, limit: charge.limit, used: used, reset: start + charge.window))
        }
        guard fits else { return .refused(states) }
        for index in charges.indices {
            states[index].used = states[index].used.saturatingAdd(charges[index].amount)
            self[charges[index].kind] = .init(windowStart: charges[index].windowStart(now), used: states[index].used)
        }
        return .admitted(states)
    }

    fileprivate mutating func adjust(_ adjustments: [(kind: LimitKind, window: Int, delta: Int)], now: Int) {
        for adjustment in adjustments where adjustment.delta != 0 {
            let start = now - now % adjustment.window
            let used = self[adjustment.kind].used(inWindowStarting: start)
            self[adjustment.kind] = .init(windowStart: start, used: max(0, used.saturatingAdd(adjustment.delta)))
        }
    }
}

extension LimitKind {
    /// The position in `allCases`.
    fileprivate var index: Int {
        switch self {
        case .requests: 0
        case .inputTokens: 1
        case .outputTokens: 2
        case .tokens: 3
        }
    }
}
