import Testing

@testable import ChutesProxy

/// Numbers from an upstream's headers and from the environment never trap the process.
@Suite struct UntrustedNumberTests {
    @Test(arguments: ["inf", "Infinity", "-inf", "1e300", "99999999999999999999", "-5", "nan", "NaN", "-0", "1e-320"])
    func retryAfterOfAnyNumberGivesADelayWithinTheCap(value: String) {
        let cap = Duration.seconds(2)
        let delay = RetryState.delay(retryAfter: value, attempt: 0, cap: cap)
        #expect(delay >= .zero && delay <= cap)
    }

    @Test func aHugeRetryAfterWaitsTheCapAndANonNumberBacksOff() {
        let cap = Duration.seconds(2)
        #expect(RetryState.delay(retryAfter: "1e300", attempt: 0, cap: cap) == cap)
        #expect(RetryState.delay(retryAfter: "99999999999999999999", attempt: 0, cap: cap) == cap)
        #expect(RetryState.delay(retryAfter: "0.5", attempt: 0, cap: cap) == .milliseconds(500))
        // Back-off for attempt 0 is 0.25 s +-25%; `inf` is not a delay.
        let backOff = RetryState.delay(retryAfter: "inf", attempt: 0, cap: cap)
        #expect(backOff >= .milliseconds(187) && backOff <= .milliseconds(313))
        #expect(RetryState.delay(retryAfter: nil, attempt: Int.max, cap: cap) <= cap)
        #expect(RetryState.delay(retryAfter: nil, attempt: -1, cap: cap) <= cap)
    }

    @Test(arguments: [
        "Wed, 21 Oct 99999999999 07:28:00 GMT", "Wed, 21 Oct -9223372036854775808 07:28:00 GMT",
        "Wed, 99999999999 Oct 2015 07:28:00 GMT", "Wed, 21 Oct 2015 99999999999:28:00 GMT",
        "Wed, 21 Oct 2015 07:-99999999999:00 GMT", "Wed, 0 Oct 2015 07:28:00 GMT",
    ])
    func retryAfterDatesOutOfRangeAreNotDates(value: String) {
        #expect(HTTPDate.parse(value) == nil)
        let delay = RetryState.delay(retryAfter: value, attempt: 0, cap: .seconds(2))
        #expect(delay <= .seconds(2))
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
