import AsyncIO
import Foundation
import HTTP1
import JSON
import Locking
import Logging
import Testing

@testable import ChutesProxy

private let upstreamKey = "sk-upstream-chutes-key-9999"
private let hello: JSONValue = ["model": "deepseek-ai/DeepSeek-V3", "max_tokens": 10, "messages": [["role": "user", "content": "Hi"]]]
private let alice: HTTPHeaders = ["x-api-key": "team-key-alice-0001"]

/// Two proxies before one upstream, counting `keys`' limits in `redis`.
private func withTwoProxies(
    keys: String, redis: String, extra: [String: String] = [:], _ body: (RunningProxy, RunningProxy) async throws -> Void
) async throws {
    let directory = try KeysDirectory()
    let path = try directory.write("keys.json", keys)
    try await withScriptedUpstream { _, _ in
        ScriptedUpstream.completion(["role": "assistant", "content": "Hello!"])
    } run: { upstream in
        let environment = ["PROXY_KEYS_FILE": path, "CHUTES_API_KEY": upstreamKey, "AUTO_FIX_MODEL_CASE": "0", "RATE_LIMIT_REDIS_URL": redis].merging(extra) { $1 }
        try await withRunningProxy(upstream: upstream, environment: environment) { first in
            try await withRunningProxy(upstream: upstream, environment: environment) { second in
                try await body(first, second)
            }
        }
    }
}

/// Fixed windows are minutes of the clock: a test counting within one waits out the last
/// seconds of a minute rather than straddle two.
private func awayFromTheMinutesEnd() async throws {
    let second = Int(time(nil)) % 60
    if second >= 50 { try await Task.sleep(for: .seconds(61 - second)) }
}

/// Statuses seen by tasks running at once.
private final class StatusTally: Sendable {
    private let tally = Mutex<[HTTPStatus: Int]>([:])
    func add(_ status: HTTPStatus) { tally.withLock { $0[status, default: 0] += 1 } }
    var counts: [HTTPStatus: Int] { tally.withLock { $0 } }
}

@Suite struct RESPTests {
    @Test func commandsAreArraysOfBulkStrings() {
        #expect(String(decoding: RESP.command(["GET", "ké"]), as: UTF8.self) == "*2\r\n$3\r\nGET\r\n$3\r\nké\r\n")
    }

    @Test func repliesAreReadWholeFromAnySplit() throws {
        let reply = Array("*4\r\n:1\r\n$5\r\nhello\r\n$-1\r\n*2\r\n+OK\r\n-ERR wrong\r\n".utf8)
        let expected = RESPValue.array([.integer(1), .bulk(Array("hello".utf8)), .bulk(nil), .array([.simple("OK"), .error("ERR wrong")])])
        for cut in 0..<reply.count {
            #expect(try RESP.parse(reply[..<cut]) == nil, "cut at \(cut)")
        }
        let parsed = try #require(try RESP.parse(reply[...]))
        #expect(parsed.0 == expected)
        #expect(parsed.consumed == reply.count)
        #expect(throws: RESP.ProtocolError.self) { try RESP.parse(Array("?what\r\n".utf8)[...]) }
        #expect(throws: RESP.ProtocolError.self) { try RESP.parse(Array(":12x\r\n".utf8)[...]) }
        #expect(throws: RESP.ProtocolError.self) { try RESP.parse(Array("$99999999999\r\n".utf8)[...]) }
    }

    @Test func redisURLsAreReadAndTheirPasswordsNeverShown() throws {
        func parts(_ text: String) throws -> String {
            let url = try RedisURL(text)
            return "\(url.host) \(url.port) \(url.user ?? "-") \(url.password ?? "-") \(url.database)"
        }
        #expect(try parts("redis://user:p%40ss@valkey.team.svc:6380/3") == "valkey.team.svc 6380 user p@ss 3")
        #expect(try RedisURL("redis://user:p%40ss@valkey.team.svc:6380/3").redacted == "redis://user:<redacted>@valkey.team.svc:6380/3")
        #expect(try parts("redis://:secret@10.0.0.5") == "10.0.0.5 6379 - secret 0")
        #expect(try parts("redis://[::1]:7000/") == "::1 7000 - - 0")
        for wrong in ["http://host", "redis://", "redis://host:0", "redis://host:port", "redis://host/db", "rediss://host"] {
            #expect(throws: ConfigurationError.self, "\(wrong)") { try RedisURL(wrong) }
        }
        let printed = try ProxyConfiguration(environment: ["RATE_LIMIT_REDIS_URL": "redis://:secret@10.0.0.5"]).printableSettings(environment: [:])
        #expect(!printed.joined().contains("secret"))
    }
}

@Suite(.serialized, .enabled(if: RedisServerProcess.isInstalled))
struct RedisLimitsTests {
    @Test func twoProxiesShareOneLimit() async throws {
        let redis = try await RedisServerProcess()
        defer { redis.stop() }
        try await awayFromTheMinutesEnd()
        try await withTwoProxies(keys: #"[{"name": "alice", "key": "team-key-alice-0001", "requests_per_minute": 3}]"#, redis: redis.url) { first, second in
            var remaining: [String?] = []
            for proxy in [first, second, first] {
                let response = try await proxy.post("/v1/messages", hello, headers: alice)
                #expect(response.status == 200)
                remaining.append(response.headers["anthropic-ratelimit-requests-remaining"])
            }
            #expect(remaining == ["2", "1", "0"])
            for proxy in [second, first] {
                let refused = try await proxy.post("/v1/messages", hello, headers: alice)
                #expect(refused.status == 429)
                #expect(refused.headers["retry-after"] != nil)
            }
        }
    }

    @Test func aRedisThatIsDownOrRestartsFailsOpenAndCountingResumes() async throws {
        let redis = try await RedisServerProcess()
        defer { redis.stop() }
        try await awayFromTheMinutesEnd()
        let keys = #"[{"name": "alice", "key": "team-key-alice-0001", "requests_per_minute": 100000}]"#
        try await withTwoProxies(keys: keys, redis: redis.url) { first, second in
            let counted = try await first.post("/v1/messages", hello, headers: alice)
            #expect(counted.headers["anthropic-ratelimit-requests-remaining"] == "99999")
            // Load from both proxies while Redis goes away and comes back.
            let statuses = StatusTally()
            let load = Task { [first, second] in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for proxy in [first, second, first, second] {
                        group.addTask {
                            for _ in 0..<40 {
                                let status = try await proxy.post("/v1/messages", hello, headers: alice).status
                                statuses.add(status)
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            redis.stop()
            // Down: served, uncounted, quickly.
            let started = ContinuousClock.now
            let uncounted = try await second.post("/v1/messages", hello, headers: alice)
            #expect(uncounted.status == 200)
            #expect(uncounted.headers["anthropic-ratelimit-requests-remaining"] == nil)
            #expect(ContinuousClock.now - started < .seconds(2))
            try await redis.start()
            try await load.value
            #expect(statuses.counts.keys.allSatisfy { $0 == 200 }, "\(statuses.counts)")
            #expect(statuses.counts.values.reduce(0, +) == 160)
            // Back: after the pause that follows a failure, both proxies count in Redis again
            // (the restarted Redis starts from zero).
            var resumed: [String?] = []
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline {
                let response = try await first.post("/v1/messages", hello, headers: alice)
                if response.headers["anthropic-ratelimit-requests-remaining"] != nil {
                    resumed.append(response.headers["anthropic-ratelimit-requests-remaining"])
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            let next = try await second.post("/v1/messages", hello, headers: alice)
            resumed.append(next.headers["anthropic-ratelimit-requests-remaining"])
            let counts = resumed.compactMap { $0.flatMap { Int($0) } }
            #expect(counts.count == 2)
            #expect(counts.count == 2 && counts[1] == counts[0] - 1)
            let metrics = String(decoding: try await second.send("GET", "/metrics", headers: alice).body, as: UTF8.self)
            let failures = metrics.split(separator: "\n").first { $0.hasPrefix("chutes_proxy_rate_limit_store_failures_total ") }
            #expect(failures.flatMap { Double($0.split(separator: " ").last ?? "") }.map { $0 >= 1 } == true)
        }
    }

    @Test func aRedisThatNeverAnswersCostsARequestOnlyTheTimeout() async throws {
        // Accepts connections and never answers.
        let silent = try TCPListener(host: "127.0.0.1", port: 0)
        let held = Mutex<[TCPConnection]>([])
        let accepting = Task {
            while let connection = try? await silent.accept() { held.withLock { $0.append(connection) } }
        }
        defer {
            accepting.cancel()
            silent.close()
        }
        try await withTwoProxies(
            keys: #"[{"name": "alice", "key": "team-key-alice-0001", "requests_per_minute": 1}]"#, redis: "redis://127.0.0.1:\(silent.localAddress.port)",
            extra: ["RATE_LIMIT_REDIS_TIMEOUT": "0.2"]
        ) { first, _ in
            for _ in 0..<3 {
                let started = ContinuousClock.now
                let response = try await first.post("/v1/messages", hello, headers: alice)
                #expect(response.status == 200)
                #expect(ContinuousClock.now - started < .seconds(2))
            }
        }
    }
}
