import AsyncIO
import CoreMetrics
import HTTP1
import JSON
import Locking
import Logging

/// What runs the server tools' calls: the search provider, the fetcher, their own HTTP
/// client (never the upstream's pool), and a log line and a metric for each call.
final class ServerToolRunner: Sendable {
    let settings: ServerToolSettings
    let searcher: WebSearcher
    let fetcher: WebFetcher
    private let logger: Logger
    private let metrics: ProxyMetrics
    private let counters = Mutex<[String: CoreMetrics.Counter]>([:])
    /// Scrubs the provider's key from anything logged about a call.
    private let redactor: SecretRedactor

    init(configuration: ProxyConfiguration, metrics: ProxyMetrics, logger: Logger) throws(HTTPClientError) {
        settings = configuration.serverTools
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.reactors = configuration.http.reactors
        clientConfiguration.connectTimeout = settings.toolTimeout
        clientConfiguration.responseHeadTimeout = settings.toolTimeout
        clientConfiguration.betweenChunksTimeout = settings.toolTimeout
        searcher = WebSearcher(provider: settings.makeProvider(), client: try HTTPClient(configuration: clientConfiguration), timeout: settings.toolTimeout)
        fetcher = try WebFetcher(settings: settings, clientConfiguration: clientConfiguration)
        self.metrics = metrics
        self.logger = logger
        redactor = SecretRedactor(secrets: [settings.searchAPIKey])
    }

    /// One call done: a log line (no query, no key: the tool, the provider or host, the
    /// outcome, how long) and `chutes_proxy_server_tool_calls_total{tool,outcome}`.
    func noteCall(_ kind: ServerToolDeclaration.Kind, target: String, outcome: String, started: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - started
        let milliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        let target = String(decoding: redactor.scrub(target.utf8), as: UTF8.self).escapedForLog
        var metadata: Logger.Metadata = [:]
        if let id = RequestRecord.current?.id { metadata["request_id"] = .string(id) }
        logger.info("\(kind.rawValue) \(target) \(outcome) \(milliseconds) ms", metadata: metadata)
        guard metrics.registry != nil else { return }
        let counter = counters.withLock { counters in
            let key = "\(kind.rawValue) \(outcome)"
            if let counter = counters[key] { return counter }
            let counter = CoreMetrics.Counter(
                label: "chutes_proxy_server_tool_calls_total", dimensions: [("tool", kind.rawValue), ("outcome", outcome)], factory: metrics.factory)
            counters[key] = counter
            return counter
        }
        counter.increment()
    }
}
