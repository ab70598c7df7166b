import AsyncIO
import Locking

/// The upstream's model list, fetched on demand and kept for a while: it corrects the case of
/// model names (`deepseek-ai/deepseek-v3` -> `deepseek-ai/DeepSeek-V3`) and tells each
/// model's limits, engine and input kinds (`ModelInfo`).
///
/// Concurrent requests share one fetch and all get the same answer from it: the new list, or
/// the last good one when it failed. A failed fetch is not retried until a growing back-off
/// has passed, and a request waits for a fetch at most `maximumWait` (and never once it is
/// cancelled), so a slow or broken list never holds requests up.
actor ModelCatalog {
    typealias Fetch = @Sendable () async throws -> [ModelInfo]

    private let ttl: Duration
    private let maximumWait: Duration
    private let fetch: Fetch
    private var models: Models?
    private var fetchedAt = Deadline.now
    private var fetching = false
    private var waiters: [Int: CheckedContinuation<Models?, Never>] = [:]
    private var nextWaiter = 0
    private var failures = 0
    private var retryNotBefore = Deadline.now
    /// How many callers joined a fetch another one started (read by tests).
    private(set) var joinedFetches = 0
    /// The fresh list by id, so the common case (one model, spelled right) needs no hop onto
    /// the actor. Written only by the actor.
    private nonisolated let known = Mutex<(byID: [String: ModelInfo], freshUntil: Deadline)>(([:], .now))

    init(ttl: Duration, maximumWait: Duration = .seconds(5), fetch: @escaping Fetch) {
        self.ttl = ttl
        self.maximumWait = maximumWait
        self.fetch = fetch
    }

    /// The model list, fetched again when older than the TTL or when `refresh` is asked; the
    /// last good list (or nil) when a fetch fails, is backed off, or takes too long.
    func modelList(refresh: Bool = false) async -> [ModelInfo]? {
        await current(refresh: refresh)?.list
    }

    /// The upstream's spelling of `name`: the same name ignoring case, or the one model whose
    /// last path segment matches ignoring case. Anything less certain keeps `name`: a guess
    /// that picked another model would be worse than the upstream's 404.
    func correctedName(_ name: String, refresh: Bool = false) async -> String {
        await resolve(name, correctCase: true, refresh: refresh).name
    }

    /// A model value as sent upstream (one model or a pool, see `ModelPool`) with each
    /// member's spelling corrected when `correctCase`, and what the list says of it: for a
    /// pool, what holds for every member (`ModelInfo.common`). Nil info when the list does
    /// not know the model or cannot be had.
    nonisolated func resolve(_ name: String, correctCase: Bool, refresh: Bool = false) async -> (name: String, info: ModelInfo?) {
        if !refresh, let info = known.withLock({ $0.freshUntil > .now ? $0.byID[name] : nil }) { return (name, info) }
        return await lookUp(name, correctCase: correctCase, refresh: refresh)
    }

    private func lookUp(_ name: String, correctCase: Bool, refresh: Bool) async -> (name: String, info: ModelInfo?) {
        guard let models = await current(refresh: refresh) else { return (name, nil) }
        let pool = ModelPool(name)
        var infos: [ModelInfo?] = []
        let corrected = pool.replacingNames { member in
            let spelled = correctCase ? models.spelling(of: member) : member
            infos.append(models.byID[spelled])
            return [spelled]
        }
        return (pool.isPool || correctCase ? corrected.text : name, ModelInfo.common(infos))
    }

    // MARK: - Fetching

    private func current(refresh: Bool) async -> Models? {
        let fresh = models != nil && Deadline.now < fetchedAt.adding(ttl)
        if fresh && !refresh { return models }
        if fetching {
            joinedFetches += 1
        } else {
            guard failures == 0 || retryNotBefore <= .now else { return models }
            fetching = true
            let fetch = self.fetch
            Task {
                let result = try? await fetch()
                self.complete(result)
            }
        }
        return await wait()
    }

    private func complete(_ result: [ModelInfo]?) {
        if let result {
            let fetched = Models(result)
            models = fetched
            fetchedAt = .now
            failures = 0
            let freshUntil = fetchedAt.adding(ttl)
            known.withLock { $0 = (fetched.byID, freshUntil) }
        } else {
            failures += 1
            retryNotBefore = .after(.seconds(min(60, 1 << min(failures, 6))))
        }
        fetching = false
        let waiting = waiters
        waiters = [:]
        for waiter in waiting.values { waiter.resume(returning: models) }
    }

    /// Waits for the fetch in flight; gives up (with the last good list) on cancellation or
    /// after `maximumWait`.
    private func wait() async -> Models? {
        let id = nextWaiter
        nextWaiter += 1
        let timer = Task { [maximumWait] in
            try? await Task.sleep(for: maximumWait)
            self.giveUp(id)
        }
        defer { timer.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled {
                    continuation.resume(returning: models)
                } else {
                    waiters[id] = continuation
                }
            }
        } onCancel: {
            Task { await self.giveUp(id) }
        }
    }

    private func giveUp(_ id: Int) {
        waiters.removeValue(forKey: id)?.resume(returning: models)
    }

    /// A fetched list, indexed for lookups.
    private struct Models {
        let list: [ModelInfo]
        let byID: [String: ModelInfo]
        /// Lower-cased id -> the ids spelled that way ignoring case.
        let byLoweredID: [String: [String]]
        /// Lower-cased last path segment -> the ids ending in it.
        let byLastSegment: [String: [String]]

        init(_ list: [ModelInfo]) {
            self.list = list
            byID = Dictionary(list.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            byLoweredID = Dictionary(grouping: list.map(\.id), by: { $0.lowercased() })
            byLastSegment = Dictionary(grouping: list.map(\.id), by: Self.lastSegment)
        }

        static func lastSegment(_ name: String) -> String {
            let lowered = name.lowercased()
            return lowered.split(separator: "/").last.map(String.init) ?? lowered
        }

        func spelling(of name: String) -> String {
            if byID[name] != nil { return name }
            if let same = byLoweredID[name.lowercased()], same.count == 1 { return same[0] }
            if let same = byLastSegment[Self.lastSegment(name)], same.count == 1 { return same[0] }
            return name
        }
    }
}
