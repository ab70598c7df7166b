import Foundation
import Testing

@testable import HTTP1

/// Requests/s of the client against a keep-alive server named by CHUTES_CLIENT_BENCH_URL
/// (skipped unless it is set). CHUTES_CLIENT_BENCH_CA: CA file for https;
/// CHUTES_CLIENT_BENCH_CONNECTIONS (32) and CHUTES_CLIENT_BENCH_SECONDS (10).
/// Run in release: `CHUTES_CLIENT_BENCH_URL=http://127.0.0.1:8080/ swift test -c release --filter ClientThroughput`.
@Suite struct ClientThroughputMeasurement {
    private static let environment = ProcessInfo.processInfo.environment

    @Test(.enabled(if: environment["CHUTES_CLIENT_BENCH_URL"] != nil))
    func requestsPerSecond() async throws {
        let url = try #require(HTTPURL(Self.environment["CHUTES_CLIENT_BENCH_URL"]!))
        let connections = Int(Self.environment["CHUTES_CLIENT_BENCH_CONNECTIONS"] ?? "") ?? 32
        let seconds = Int(Self.environment["CHUTES_CLIENT_BENCH_SECONDS"] ?? "") ?? 10
        var configuration = HTTPClient.Configuration()
        configuration.maxConnectionsPerOrigin = connections
        if let ca = Self.environment["CHUTES_CLIENT_BENCH_CA"] { configuration.trustRoots = .file(ca) }
        let client = try HTTPClient(configuration: configuration)
        let body = Array(#"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#.utf8)

        let clock = ContinuousClock()
        let start = clock.now
        let end = start + .seconds(seconds)
        let (requests, failures) = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for _ in 0..<connections {
                group.addTask {
                    var done = 0, failed = 0
                    while clock.now < end {
                        let response = try await client.execute(HTTPClientRequest(method: "POST", url: url, body: body))
                        _ = try await response.body.collect(upTo: 1 << 20)
                        if response.status == 200 { done += 1 } else { failed += 1 }
                    }
                    return (done, failed)
                }
            }
            return try await group.reduce(into: (0, 0)) {
                $0.0 += $1.0; $0.1 += $1.1
            }
        }
        let elapsed = clock.now - start
        let seconds_ = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let statistics = client.statistics
        print(
            "client: \(url) \(connections) connections: \(Int(Double(requests) / seconds_)) req/s (\(requests) requests in \(String(format: "%.1f", seconds_)) s), connections opened \(statistics.connectionsOpened), reuse ratio \(String(format: "%.1f", Double(statistics.requests) / Double(max(1, statistics.connectionsOpened)))) requests/connection"
        )
        #expect(failures == 0)
        #expect(statistics.connectionsOpened <= connections)
    }
}
