import HTTP1
import JSON

/// A web search service behind `WEB_SEARCH_PROVIDER`: one query in, results out.
/// Implementations only shape the request and read the answer; `SearchProviderHTTP` sends
/// it, with the timeout and the size cap, and sorts failures into `SearchFailure`s.
protocol SearchProvider: Sendable {
    /// The `WEB_SEARCH_PROVIDER` value.
    var name: String { get }
    /// The request for `query`.
    func request(for query: SearchQuery) -> HTTPClientRequest
    /// The results of a 200 answer's JSON body.
    func results(from body: JSONValue) -> [SearchResult]
}

/// What the model asked for, with the tool's options.
struct SearchQuery: Sendable {
    var text: String
    var domains: DomainFilter
    var userLocation: ServerToolDeclaration.UserLocation?
    /// Results wanted (the provider may return fewer or more; more are cut).
    var count: Int
}

/// One result: what the client sees (`web_search_result`) and the excerpt the model reads.
struct SearchResult: Sendable, Equatable {
    var url: String
    var title: String
    /// How old the page is, as the provider says it (a date, or "2 days ago").
    var pageAge: String?
    var snippet: String

    /// Caps on each field: a provider's answer is as untrusted as any input.
    static let maxURLBytes = 2048
    static let maxTitleBytes = 512
    static let maxSnippetBytes = 4096

    /// A result from a provider's fields; nil without an http(s) URL.
    init?(url: String?, title: String?, pageAge: String?, snippet: String?) {
        guard let url, url.utf8.count <= Self.maxURLBytes, HTTPURL(url) != nil else { return nil }
        self.url = url
        self.title = (title ?? url).prefixUTF8(Self.maxTitleBytes)
        self.pageAge = pageAge.map { $0.prefixUTF8(64) }
        self.snippet = (snippet ?? "").prefixUTF8(Self.maxSnippetBytes)
    }

    /// The host of `url`, for the domain filter.
    var host: String { HTTPURL(url)?.host ?? "" }
}

/// Why a search gave no results, as Anthropic's `web_search_tool_result_error` codes.
enum SearchFailure: String, Error, Sendable {
    case invalidToolInput = "invalid_tool_input"
    case unavailable
    case maxUsesExceeded = "max_uses_exceeded"
    case tooManyRequests = "too_many_requests"
    case queryTooLong = "query_too_long"
}

extension String {
    /// At most `limit` UTF-8 bytes, cut at a character boundary.
    func prefixUTF8(_ limit: Int) -> String {
        guard utf8.count > limit else { return self }
        var end = utf8.index(utf8.startIndex, offsetBy: limit)
        // Back to the start of the scalar the limit falls in (at most three steps).
        while end > startIndex, end.samePosition(in: unicodeScalars) == nil { end = utf8.index(before: end) }
        return String(self[..<end])
    }
}
