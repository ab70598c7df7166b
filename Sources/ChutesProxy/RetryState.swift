import AsyncIO
import Glibc
import HTTP1
import Synchronization

/// The upstream's rate-limit cool-down, shared by every request to it: after a 429, all
/// requests wait out the same `Retry-After` instead of stampeding the upstream again.
actor RetryState {
    /// The cool-down's end, read without a hop onto the actor: every request checks it, and
    /// almost always no cool-down is active. Only the actor writes it.
    private nonisolated let coolDownUntil = Atomic<Deadline>(Deadline.now)

    /// Waits until the cool-down (if any) has passed; returns at once when none is active.
    nonisolated func waitForCoolDown() async throws {
        while true {
            let until = coolDownUntil.load(ordering: .acquiring)
            guard until > .now else { return }
            try await Task.sleep(for: until.remaining)
        }
    }

    /// Starts (or extends) a cool-down of `delay`.
    func coolDown(for delay: Duration) {
        let until = Deadline.after(delay)
        if until > coolDownUntil.load(ordering: .relaxed) { coolDownUntil.store(until, ordering: .releasing) }
    }

    /// How long to wait before retry number `attempt` (0-based): the upstream's
    /// `Retry-After` (seconds or an HTTP date) when it sent one, else exponential back-off
    /// with jitter; never more than `cap`.
    nonisolated static func delay(retryAfter: String?, attempt: Int, cap: Duration, now: Int = Int(time(nil))) -> Duration {
        if let retryAfter {
            let text = String(retryAfter.trimmingOptionalWhitespace)
            // `inf`, `nan` and negative numbers are not delays: they fall through to back-off.
            if let seconds = Double(text), let delay = Duration.seconds(untrusted: seconds, maximum: cap) { return delay }
            if let date = HTTPDate.parse(text) {
                let (difference, overflow) = date.subtractingReportingOverflow(now)
                if overflow { return date > now ? cap : .zero }
                return min(.seconds(max(0, difference)), cap)
            }
        }
        let base = 0.25 * Double(1 << min(max(attempt, 0), 10))
        let jittered = base * Double.random(in: 0.75...1.25)
        return Duration.seconds(untrusted: jittered, maximum: cap) ?? cap
    }
}

/// IMF-fixdate, as in `Retry-After: Wed, 21 Oct 2015 07:28:00 GMT`.
enum HTTPDate {
    /// Seconds since the epoch; nil unless every field is in its calendar range (the fields
    /// come from an upstream's header and go into 32-bit `tm` fields).
    static func parse(_ text: String) -> Int? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", let day = Int(parts[1]), let year = Int(parts[3]) else { return nil }
        guard (1...31).contains(day), (1900...9999).contains(year) else { return nil }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard let month = months.firstIndex(of: String(parts[2])) else { return nil }
        let clock = parts[4].split(separator: ":").compactMap { Int($0) }
        guard clock.count == 3, (0...23).contains(clock[0]), (0...59).contains(clock[1]), (0...60).contains(clock[2]) else { return nil }
        var fields = tm()
        fields.tm_year = Int32(year - 1900)
        fields.tm_mon = Int32(month)
        fields.tm_mday = Int32(day)
        fields.tm_hour = Int32(clock[0])
        fields.tm_min = Int32(clock[1])
        fields.tm_sec = Int32(clock[2])
        return Int(timegm(&fields))
    }
}
