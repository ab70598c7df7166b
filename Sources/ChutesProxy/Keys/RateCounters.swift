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

/// The counters in this process's memory, behind one lock: a dictionary lookup and a few
/// additions per request.
final class LocalCounters: RateCounters {
    private struct Slot {
        var windowStart: Int
        var used: Int
    }

    private struct Key: Hashable {
        var name: String
        var kind: LimitKind
    }

    private let slots = Mutex<[Key: Slot]>([:])

    func charge(key: String, _ charges: [Charge], now: Int) -> ChargeOutcome {
        slots.withLock { slots in
            var fits = true
            var states: [CounterState] = []
            for charge in charges {
                let start = charge.windowStart(now)
                let slot = slots[Key(name: key, kind: charge.kind)]
                let used = slot?.windowStart == start ? slot!.used : 0
                fits = fits && charge.fits(used: used)
                states.append(CounterState(kind: charge.kind, limit: charge.limit, used: used, reset: start + charge.window))
            }
            guard fits else { return .refused(states) }
            for index in charges.indices {
                let charge = charges[index]
                states[index].used = states[index].used.saturatingAdd(charge.amount)
                slots[Key(name: key, kind: charge.kind)] = Slot(windowStart: charge.windowStart(now), used: states[index].used)
            }
            return .admitted(states)
        }
    }

    func adjust(key: String, _ adjustments: [(kind: LimitKind, window: Int, delta: Int)], now: Int) {
        slots.withLock { slots in
            for adjustment in adjustments where adjustment.delta != 0 {
                let start = now - now % adjustment.window
                let slot = slots[Key(name: key, kind: adjustment.kind)]
                let used = slot?.windowStart == start ? slot!.used : 0
                slots[Key(name: key, kind: adjustment.kind)] = Slot(windowStart: start, used: max(0, used.saturatingAdd(adjustment.delta)))
            }
        }
    }
}
