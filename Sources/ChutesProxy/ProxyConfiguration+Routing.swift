extension ProxyConfiguration {
    /// How requests are routed, as understood from `PROVIDERS`, `ROUTES`/`ROUTES_FILE`,
    /// `MODEL_MAP` and the breaker settings, in the order they are evaluated (for
    /// `--print-config`), every provider's key shown by where it comes from, never itself.
    public var routingDescription: String {
        var lines: [String] = []
        if !providers.isEmpty {
            // Only with PROVIDERS: without, the description is as it always was.
            lines.append("providers (a target names one as name::model; chutes is the default):")
            for provider in [defaultProvider] + providers { lines += provider.describedLines.map { "  " + $0 } }
        }
        lines.append("routes (first match wins):")
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

    /// Every provider's name, the default one first.
    public var providerNames: [String] { [ProviderDefinition.defaultName] + providers.map(\.name) }

    /// Every target of `MODEL_MAP`, `ROUTES` and `COMPACTION_MODEL` that names a provider
    /// names a configured one; the error names the setting, the entry and the provider.
    func validateTargets() throws(ConfigurationError) {
        let known = Set(providers.map(\.name))
        func check(_ target: String, variable: String, entry: String) throws(ConfigurationError) {
            guard let provider = ModelTarget(target).provider, !known.contains(provider) else { return }
            throw ConfigurationError(
                variable: variable,
                problem: "\(entry) names the provider \"\(provider)\" (\(target)), which is not configured; the providers are \(providerNames.joined(separator: ", ")) (PROVIDERS)")
        }
        for entry in modelMap.entries {
            for target in entry.models { try check(target, variable: "MODEL_MAP", entry: "the value for \"\(entry.pattern)\"") }
        }
        let routesVariable = routesOrigin == nil || routesOrigin == "ROUTES" ? "ROUTES" : "ROUTES_FILE"
        for (index, route) in routes.routes.enumerated() {
            for target in route.models { try check(target, variable: routesVariable, entry: "route \(index + 1) (\"\(route.name)\")") }
        }
        if let compactionModel { try check(compactionModel, variable: "COMPACTION_MODEL", entry: "the model") }
    }
}
