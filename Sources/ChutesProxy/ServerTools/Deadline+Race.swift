/// Runs `operation`, throwing `TimeLimitExceeded` if it has not finished within `limit`
/// (the operation is cancelled then: an HTTP exchange closes its connection).
func withTimeLimit<T: Sendable>(_ limit: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw TimeLimitExceeded() }
        return value
    }
}

/// `withTimeLimit`'s limit passed.
struct TimeLimitExceeded: Error {}
