import Testing

@testable import ChutesProxy

/// Numbers from an upstream's headers and from the environment never trap the process.
@Suite struct UntrustedNumberTests {
    /// What a `Retry-After` number means: a delay (zero and tiny ones are "retry now"), the cap
    /// when larger, and no delay at all when it is not a finite non-negative number, so the
    /// first retry's back-off applies.
    enum RetryAfterMeaning: Sendable {
        case now, cap, backOff
    }

    /// The first retry's back-off: 0.25 s, give or take 25 % of jitter.
    static let firstBackOff = Duration.milliseconds(187)...Duration.milliseconds(313)

    @Test(
        arguments: [
            ("inf", .backOff), ("Infinity", .backOff), ("-inf", .backOff), ("nan", .backOff), ("NaN", .backOff), ("-5", .backOff),
            ("1e300", .cap), ("99999999999999999999", .cap), ("-0", .now), ("1e-320", .now),
        ] as [(String, RetryAfterMeaning)])
    func retryAfterOfAnyNumberGivesADelayWithinTheCap(value: String, meaning: RetryAfterMeaning) {
        let cap = Duration.seconds(2)
        let delay = RetryState.delay(retryAfter: value, attempt: 0, cap: cap)
        switch meaning {
        case .now: #expect(delay == .zero, "\(delay)")
        case .cap: #expect(delay == cap, "\(delay)")
        case .backOff: #expect(Self.firstBackOff.contains(delay), "\(delay)")
        }
    }

    @Test func aHugeRetryAfterWaitsTheCapAndANonNumberBacksOff() {
        let cap = Duration.seconds(2)
        #expect(RetryState.delay(retryAfter: "1e300", attempt: 0, cap: cap) == cap)
        #expect(RetryState.delay(retryAfter: "99999999999999999999", attempt: 0, cap: cap) == cap)
        #expect(RetryState.delay(retryAfter: "0.5", attempt: 0, cap: cap) == .milliseconds(500))
        // `inf` is not a delay: the first retry's back-off applies.
        #expect(Self.firstBackOff.contains(RetryState.delay(retryAfter: "inf", attempt: 0, cap: cap)))
        // Back-off doubles per attempt (at most 2^10 times, 256 s), so a huge attempt waits
        // the cap, and a negative one counts as the first.
        #expect(RetryState.delay(retryAfter: nil, attempt: Int.max, cap: cap) == cap)
        #expect(Self.firstBackOff.contains(RetryState.delay(retryAfter: nil, attempt: -1, cap: cap)))
    }

    @Test(arguments: [
        "Wed, 21 Oct 99999999999 07:28:00 GMT", "Wed, 21 Oct -9223372036854775808 07:28:00 GMT",
        "Wed, 99999999999 Oct 2015 07:28:00 GMT", "Wed, 21 Oct 2015 99999999999:28:00 GMT",
        "Wed, 21 Oct 2015 07:-99999999999:00 GMT", "Wed, 0 Oct 2015 07:28:00 GMT",
    ])
    func retryAfterDatesOutOfRangeAreNotDates(value: String) {
        #expect(HTTPDate.parse(value) == nil)
        // Neither a number nor a date: the first retry's back-off.
        let delay = RetryState.delay(retryAfter: value, attempt: 0, cap: .seconds(2))
        #expect(Self.firstBackOff.contains(delay), "\(delay)")
    }

    @Test func aRetryAfterDateFarInThePastOrFutureStaysWithinTheCap() {
        #expect(RetryState.delay(retryAfter: "Fri, 31 Dec 9999 23:59:59 GMT", attempt: 0, cap: .seconds(2), now: Int.min) == .seconds(2))
        #expect(RetryState.delay(retryAfter: "Mon, 01 Jan 1900 00:00:00 GMT", attempt: 0, cap: .seconds(2), now: Int.max) == .zero)
    }

    @Test(arguments: ["1e300", "inf", "nan", "-1", "31536001", "1e19"])
    func anOutOfRangeNumberOfSecondsStopsStartUpNamingTheVariable(value: String) {
        for variable in ["UPSTREAM_TIMEOUT", "PROXY_MAX_RETRY_AFTER", "MODEL_DISCOVERY_TTL", "STREAM_PING_INTERVAL"] {
            do {
                _ = try ProxyConfiguration(environment: [variable: value])
                Issue.record("\(variable)=\(value) must be refused")
            } catch {
                #expect(error.variable == variable)
                #expect(error.problem.contains(value))
            }
        }
    }

    @Test func aYearOfSecondsIsAccepted() throws {
        let configuration = try ProxyConfiguration(environment: ["UPSTREAM_TIMEOUT": "31536000", "STREAM_PING_INTERVAL": "0.25"])
        #expect(configuration.upstreamResponseTimeout == .seconds(31_536_000))
        #expect(configuration.pingInterval == .milliseconds(250))
    }
}

@Suite struct ModelListDateTests {
    @Test(arguments: [Int.min, Int.max, -1, 0, 1_700_000_000])
    func anyCreatedTimeGivesAFourDigitYear(seconds: Int) {
        let text = ISODate.string(fromUnix: seconds)
        #expect(text.count == 20, "\(text)")
    }

    @Test func knownDates() {
        #expect(ISODate.string(fromUnix: 0) == "1970-01-01T00:00:00Z")
        #expect(ISODate.string(fromUnix: 1_700_000_000) == "2023-11-14T22:13:20Z")
        #expect(ISODate.string(fromUnix: .max) == "9999-12-31T23:59:59Z")
        #expect(ISODate.string(fromUnix: .min) == "1970-01-01T00:00:00Z")
    }
}
