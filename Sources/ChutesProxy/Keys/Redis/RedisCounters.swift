import Locking
import Logging

/// The limits' counters in Redis or Valkey (`RATE_LIMIT_REDIS_URL`), so every replica
/// counts against one limit. A request's charge is one `EVAL` of a Lua script that reads
/// every counter of the key and adds to all of them only if all fit, atomically. Counters
/// are keys `ccp:{name}:kind:windowStart` (the braces keep a key's counters in one slot of
/// a cluster) that expire a minute after their window.
///
/// Fails open: when Redis cannot be reached (or answers wrongly) the request is served
/// uncounted, `chutes_proxy_rate_limit_store_failures_total` counts it, and the log says so
/// once per `logInterval`; for `retryInterval` after a failure Redis is not asked at all,
/// so a Redis that is down costs requests nothing.
final class RedisCounters: RateCounters {
    let client: RedisClient
    private let logger: Logger
    private let metrics: ProxyMetrics
    private let retryInterval: Duration
    private let logInterval: Duration
    private let health = Mutex<(skipUntil: ContinuousClock.Instant?, lastLogged: ContinuousClock.Instant?, down: Bool)>((nil, nil, false))

    init(client: RedisClient, logger: Logger, metrics: ProxyMetrics, retryInterval: Duration = .seconds(1), logInterval: Duration = .seconds(60)) {
        self.client = client
        self.logger = logger
        self.metrics = metrics
        self.retryInterval = retryInterval
        self.logInterval = logInterval
    }

    static let chargeScript = """
        local fits = 1
        local used = {}
        for i = 1, #KEYS do
          used[i] = tonumber(redis.call('GET', KEYS[i]) or '0')
          local limit = tonumber(ARGV[3 * i - 2])
          local amount = tonumber(ARGV[3 * i - 1])
          if used[i] >= limit or amount > limit - used[i] then fits = 0 end
        end
        if fits == 1 then
          for i = 1, #KEYS do
            used[i] = redis.call('INCRBY', KEYS[i], ARGV[3 * i - 1])
            redis.call('EXPIRE', KEYS[i], ARGV[3 * i])
          end
        end
        table.insert(used, 1, fits)
        return used
        """

    static let adjustScript = """
        for i = 1, #KEYS do
          local value = redis.call('INCRBY', KEYS[i], ARGV[2 * i - 1])
          if value < 0 then redis.call('SET', KEYS[i], 0) end
          redis.call('EXPIRE', KEYS[i], ARGV[2 * i])
        end
        return 1
        """

    static func counterKey(_ name: String, _ kind: LimitKind, windowStart: Int) -> String { "ccp:{\(name)}:\(kind.rawValue):\(windowStart)" }

    func charge(key: String, _ charges: [Charge], now: Int) async -> ChargeOutcome {
        guard shouldAsk() else { return failedOpen() }
        var words = ["EVAL", Self.chargeScript, String(charges.count)]
        words += charges.map { Self.counterKey(key, $0.kind, windowStart: $0.windowStart(now)) }
        for charge in charges { words += [String(charge.limit), String(charge.amount), String(charge.window + 60)] }
        let reply: RESPValue
        do {
            reply = try await client.run(words)
        } catch {
            return failed(error)
        }
        guard case .array(let elements?) = reply, elements.count == charges.count + 1,
            case .integer(let fits) = elements[0]
        else { return failed(.malformed("the charge script answered \(reply)")) }
        var states: [CounterState] = []
        for (charge, element) in zip(charges, elements.dropFirst()) {
            guard case .integer(let used) = element else { return failed(.malformed("the charge script answered \(reply)")) }
            states.append(CounterState(kind: charge.kind, limit: charge.limit, used: used, reset: charge.windowStart(now) + charge.window))
        }
        recovered()
        return fits == 1 ? .admitted(states) : .refused(states)
    }

    func adjust(key: String, _ adjustments: [(kind: LimitKind, window: Int, delta: Int)], now: Int) async {
        guard shouldAsk() else {
            _ = failedOpen()
            return
        }
        var words = ["EVAL", Self.adjustScript, String(adjustments.count)]
        words += adjustments.map { Self.counterKey(key, $0.kind, windowStart: now - now % $0.window) }
        for adjustment in adjustments { words += [String(adjustment.delta), String(adjustment.window + 60)] }
        do {
            _ = try await client.run(words)
            recovered()
        } catch {
            _ = failed(error)
        }
    }

    /// False while a recent failure says Redis is down.
    private func shouldAsk() -> Bool {
        health.withLock { health in
            guard let until = health.skipUntil else { return true }
            return ContinuousClock.now >= until
        }
    }

    private func failedOpen() -> ChargeOutcome {
        metrics.rateLimitStoreFailed()
        return .unavailable
    }

    private func failed(_ error: RedisError) -> ChargeOutcome {
        let now = ContinuousClock.now
        let log = health.withLock { health in
            health.skipUntil = now + retryInterval
            health.down = true
            guard health.lastLogged.map({ now - $0 >= logInterval }) ?? true else { return false }
            health.lastLogged = now
            return true
        }
        if log {
            logger.error("rate-limit store \(client.url.redacted) failed: \(error); serving without limits (fail open) until it answers again")
        }
        return failedOpen()
    }

    private func recovered() {
        let wasDown = health.withLock { health in
            defer { health = (nil, nil, false) }
            return health.down
        }
        if wasDown { logger.info("rate-limit store \(client.url.redacted) answers again: limits are counted there again") }
    }
}
