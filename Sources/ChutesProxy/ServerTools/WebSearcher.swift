import HTTP1
import JSON

/// Runs one `web_search` call: checks the input and `max_uses`, asks the provider within the
/// time limit, filters and caps the results. Every failure is a `SearchFailure`, never a hang.
struct WebSearcher: Sendable {
    let provider: (any SearchProvider)?
    let client: HTTPClient
    let timeout: Duration
    /// Results kept per search.
    static let maxResults = 10
    /// Longer queries are refused with `query_too_long` (Anthropic's own limit is of this order).
    static let maxQueryBytes = 400
    /// A provider's answer larger than this is not read.
    static let maxAnswerBytes = 2 << 20

    /// The results of the model's `input` (`{"query": ...}`).
    func search(_ input: JSONValue, declaration: ServerToolDeclaration) async throws(SearchFailure) -> [SearchResult] {
        guard let text = input["query"]?.stringValue?.trimmingOptionalWhitespace, !text.isEmpty else { throw .invalidToolInput }
        guard text.utf8.count <= Self.maxQueryBytes else { throw .queryTooLong }
        guard let provider else { throw .unavailable }
        let query = SearchQuery(text: String(text), domains: declaration.domains, userLocation: declaration.userLocation, count: Self.maxResults)
        let request = provider.request(for: query)
        let body: [UInt8]
        do {
            body = try await withTimeLimit(timeout) { [client] in
                let response = try await client.execute(request)
                switch response.status.rawValue {
                case 200: return try await response.body.collect(upTo: Self.maxAnswerBytes)
                case 429:
                    response.body.discard()
                    throw SearchFailure.tooManyRequests
                default:
                    response.body.discard()
                    throw SearchFailure.unavailable
                }
            }
        } catch let failure as SearchFailure {
            throw failure
        } catch {
            throw .unavailable
        }
        guard let json = try? JSONValue(parsing: body) else { throw .unavailable }
        // Filtered here whatever the provider did with the domains: not every provider can.
        let kept = provider.results(from: json).filter { declaration.domains.permits(host: $0.host) }
        return Array(kept.prefix(Self.maxResults))
    }
}
