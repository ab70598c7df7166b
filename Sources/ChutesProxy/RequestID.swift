import AsyncIO

/// Anthropic-style request ids: `req_` and 24 base-62 characters from the per-thread
/// generator (no system call per id). Unique enough to find a request's log line; not secret.
enum RequestID {
    static func make() -> String { FastRandom.identifier(prefix: "req_", count: 24) }
}
