extension ProxyConfiguration {
    /// How requests are routed, as understood from `ROUTES`/`ROUTES_FILE`, `MODEL_MAP` and
    /// the breaker settings, in the order they are evaluated (for `--print-config`).
    public var routingDescription: String {
        var lines = ["routes (first match wins):"]
        if routes.isEmpty { lines.append("  (none)") }
        for (index, route) in routes.routes.enumerated() { lines.append("  \(index + 1). \(route.summary)") }
        lines.append("MODEL_MAP (when no route matches):")
        if modelMap.isEmpty { lines.append("  (none: the model as asked)") }
        for line in modelMap.lines { lines.append("  \(line)") }
        lines.append("fallback: in list order on capacity 429, 500, 502, 503, 504, 529, connect failure or timeout; not on 400/401/402/403/404 or context length")
        let breaker = circuitBreaker
        lines.append(
            "circuit breaker: skip a model after \(breaker.failureThreshold) failures in a row for \(breaker.coolDown.components.seconds) s, doubling up to \(breaker.maximumCoolDown.components.seconds) s; Retry-After sets it"
        )
        return lines.joined(separator: "\n")
    }
}
