import HTTP1

/// The server-tool settings (`WEB_SEARCH_*`, `WEB_FETCH_*`, `SERVER_TOOLS_*`), read once with
/// the rest of `ProxyConfiguration`.
public struct ServerToolSettings: Sendable, Equatable {
    /// Which search service answers `web_search`.
    public enum Provider: String, Sendable, Equatable, CaseIterable {
        case none, searxng, brave, tavily, exa
    }

    /// `WEB_SEARCH_PROVIDER`: none (the default) tells the model search is unavailable.
    public var provider: Provider = .none
    /// `WEB_SEARCH_URL`: SearXNG's address (required for it); for the others, a replacement
    /// for their public API address (a gateway, or a test's scripted server).
    public var searchURL: HTTPURL?
    /// `WEB_SEARCH_API_KEY`: brave, tavily and exa need one.
    public var searchAPIKey: String?
    /// `WEB_TOOLS_TIMEOUT`: one search or one fetch, redirects included.
    public var toolTimeout: Duration = .seconds(15)
    /// `SERVER_TOOLS_TIME_LIMIT`: the whole loop of one request (model turns, searches and
    /// fetches); past it the answer so far ends with `stop_reason: pause_turn`.
    public var loopTimeLimit: Duration = .seconds(300)
    /// `WEB_FETCH_ALLOW_PRIVATE`: let `web_fetch` reach private, loopback, link-local and
    /// metadata addresses (never on a shared deployment).
    public var fetchAllowPrivate = false
    /// `WEB_FETCH_MAX_BYTES`: the largest page or PDF fetched.
    public var fetchMaxBytes = 5 << 20

    /// The defaults above.
    public init() {}

    /// A provider that cannot work as set stops start-up.
    func validate() throws(ConfigurationError) {
        switch provider {
        case .none: return
        case .searxng:
            guard searchURL != nil else { throw ConfigurationError(variable: "WEB_SEARCH_URL", problem: "WEB_SEARCH_PROVIDER=searxng needs SearXNG's address") }
        case .brave, .tavily, .exa:
            guard !(searchAPIKey ?? "").isEmpty else { throw ConfigurationError(variable: "WEB_SEARCH_API_KEY", problem: "WEB_SEARCH_PROVIDER=\(provider.rawValue) needs its key") }
        }
    }

    /// The configured provider, or nil for none.
    func makeProvider() -> (any SearchProvider)? {
        let key = searchAPIKey ?? ""
        switch provider {
        case .none: return nil
        case .searxng: return searchURL.map { SearXNGProvider(baseURL: $0) }
        case .brave: return BraveProvider(baseURL: searchURL ?? BraveProvider.defaultURL, key: key)
        case .tavily: return TavilyProvider(baseURL: searchURL ?? TavilyProvider.defaultURL, key: key)
        case .exa: return ExaProvider(baseURL: searchURL ?? ExaProvider.defaultURL, key: key)
        }
    }
}
