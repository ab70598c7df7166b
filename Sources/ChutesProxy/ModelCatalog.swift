import AsyncIO
import Synchronization

/// The upstream's model names, fetched on demand and kept for a while, used to correct the
/// case of a model name (`deepseek-ai/deepseek-v3` -> `deepseek-ai/DeepSeek-V3`).
///
/// Concurrent requests share one fetch; a failed fetch is not retried until a growing
/// back-off has passed, so a broken upstream list never slows every request down.
actor ModelCatalog {
    typealias Fetch = @Sendable () async throws -> [String]

    private let ttl: Duration
    private let fetch: Fetch
    private var models: [String]?
    private var fetchedAt = Deadline.now
    private var inFlight: Task<[String]?, Never>?
    private var failures = 0
    private var retryNotBefore = Deadline.now
    /// The fresh list as a set, so the common case (the name is spelled right) needs no hop
    /// onto the actor. Written only by the actor.
    private nonisolated let known = Mutex<(names: Set<String>, freshUntil: Deadline)>(([], .now))

    init(ttl: Duration, fetch: @escaping Fetch) {
        self.ttl = ttl
        self.fetch = fetch
    }

    /// The model list, fetched again when older than the TTL or when `refresh` is asked.
    func modelNames(refresh: Bool = false) async -> [String]? {
        let fresh = models != nil && Deadline.now < fetchedAt.adding(ttl)
        if fresh && !refresh { return models }
        if let inFlight { return await inFlight.value }
        guard failures == 0 || retryNotBefore <= .now else { return models }
        let fetch = self.fetch
        let task = Task { try? await fetch() }
        inFlight = task
        let result = await task.value
        inFlight = nil
        if let result {
            models = result
            fetchedAt = .now
            failures = 0
            let freshUntil = fetchedAt.adding(ttl)
            known.withLock { $0 = (Set(result), freshUntil) }
        } else {
            failures += 1
            retryNotBefore = .after(.seconds(min(60, 1 << min(failures, 6))))
        }
        return models
    }

    /// The upstream's spelling of `name`: the same name ignoring case, or the one model whose
    /// last path segment matches ignoring case. Anything less certain keeps `name`: a guess
    /// that picked another model would be worse than the upstream's 404.
    nonisolated func correctedName(_ name: String, refresh: Bool = false) async -> String {
        if !refresh, known.withLock({ $0.freshUntil > .now && $0.names.contains(name) }) { return name }
        return await lookUp(name, refresh: refresh)
    }

    private func lookUp(_ name: String, refresh: Bool) async -> String {
        guard let models = await modelNames(refresh: refresh) else { return name }
        if models.contains(name) { return name }
        let lowered = name.lowercased()
        let sameName = models.filter { $0.lowercased() == lowered }
        if sameName.count == 1 { return sameName[0] }
        let lastSegment = lowered.split(separator: "/").last.map(String.init) ?? lowered
        let sameSegment = models.filter { ($0.lowercased().split(separator: "/").last.map(String.init) ?? "") == lastSegment }
        return sameSegment.count == 1 ? sameSegment[0] : name
    }
}

