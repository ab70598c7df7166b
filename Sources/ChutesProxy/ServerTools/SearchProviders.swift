import HTTP1
import JSON

/// A self-hosted SearXNG: `GET <WEB_SEARCH_URL>/search?q=...&format=json` (its JSON format
/// must be enabled in its `settings.yml`). No key.
struct SearXNGProvider: SearchProvider {
    let baseURL: HTTPURL
    var name: String { "searxng" }

    func request(for query: SearchQuery) -> HTTPClientRequest {
        var parameters = [("q", query.text), ("format", "json")]
        if let country = query.userLocation?.country { parameters.append(("language", "all-\(country.uppercased())")) }
        return HTTPClientRequest(method: .get, url: baseURL.appending("/search?" + QueryString.encode(parameters)), headers: ["Accept": "application/json"])
    }

    func results(from body: JSONValue) -> [SearchResult] {
        (body["results"]?.arrayValue ?? []).compactMap {
            SearchResult(url: $0["url"]?.stringValue, title: $0["title"]?.stringValue, pageAge: $0["publishedDate"]?.stringValue, snippet: $0["content"]?.stringValue)
        }
    }
}

/// Brave Search API: `GET /res/v1/web/search`, key in `X-Subscription-Token`.
struct BraveProvider: SearchProvider {
    let baseURL: HTTPURL
    let key: String
    var name: String { "brave" }
    static let defaultURL = HTTPURL("https://api.search.brave.com")!

    func request(for query: SearchQuery) -> HTTPClientRequest {
        var parameters = [("q", query.text), ("count", String(min(query.count, 20)))]
        if let country = query.userLocation?.country { parameters.append(("country", country.lowercased())) }
        return HTTPClientRequest(
            method: .get, url: baseURL.appending("/res/v1/web/search?" + QueryString.encode(parameters)), headers: ["Accept": "application/json", "X-Subscription-Token": key])
    }

    func results(from body: JSONValue) -> [SearchResult] {
        (body["web"]?["results"]?.arrayValue ?? []).compactMap {
            SearchResult(url: $0["url"]?.stringValue, title: $0["title"]?.stringValue, pageAge: $0["page_age"]?.stringValue ?? $0["age"]?.stringValue, snippet: $0["description"]?.stringValue)
        }
    }
}

/// Tavily: `POST /search` with a JSON body, key as a bearer token; it filters domains itself.
struct TavilyProvider: SearchProvider {
    let baseURL: HTTPURL
    let key: String
    var name: String { "tavily" }
    static let defaultURL = HTTPURL("https://api.tavily.com")!

    func request(for query: SearchQuery) -> HTTPClientRequest {
        var body: JSONObject = ["query": JSONValue(query.text), "max_results": JSONValue(min(query.count, 20))]
        if !query.domains.allowed.isEmpty { body["include_domains"] = .array(query.domains.allowed.map { JSONValue($0) }) }
        if !query.domains.blocked.isEmpty { body["exclude_domains"] = .array(query.domains.blocked.map { JSONValue($0) }) }
        return HTTPClientRequest(
            method: .post, url: baseURL.appending("/search"), headers: ["Content-Type": "application/json", "Accept": "application/json", "Authorization": "Bearer \(key)"],
            body: JSONValue.object(body).serialized())
    }

    func results(from body: JSONValue) -> [SearchResult] {
        (body["results"]?.arrayValue ?? []).compactMap {
            SearchResult(url: $0["url"]?.stringValue, title: $0["title"]?.stringValue, pageAge: $0["published_date"]?.stringValue, snippet: $0["content"]?.stringValue)
        }
    }
}

/// Exa: `POST /search` with a JSON body, key in `x-api-key`; it filters domains itself.
struct ExaProvider: SearchProvider {
    let baseURL: HTTPURL
    let key: String
    var name: String { "exa" }
    static let defaultURL = HTTPURL("https://api.exa.ai")!

    func request(for query: SearchQuery) -> HTTPClientRequest {
        var body: JSONObject = [
            "query": JSONValue(query.text), "numResults": JSONValue(min(query.count, 20)),
            "contents": ["text": ["maxCharacters": JSONValue(SearchResult.maxSnippetBytes)]],
        ]
        if !query.domains.allowed.isEmpty { body["includeDomains"] = .array(query.domains.allowed.map { JSONValue($0) }) }
        if !query.domains.blocked.isEmpty { body["excludeDomains"] = .array(query.domains.blocked.map { JSONValue($0) }) }
        if let country = query.userLocation?.country { body["userLocation"] = JSONValue(country.uppercased()) }
        return HTTPClientRequest(
            method: .post, url: baseURL.appending("/search"), headers: ["Content-Type": "application/json", "Accept": "application/json", "x-api-key": key],
            body: JSONValue.object(body).serialized())
    }

    func results(from body: JSONValue) -> [SearchResult] {
        (body["results"]?.arrayValue ?? []).compactMap {
            SearchResult(url: $0["url"]?.stringValue, title: $0["title"]?.stringValue, pageAge: $0["publishedDate"]?.stringValue, snippet: $0["text"]?.stringValue ?? $0["summary"]?.stringValue)
        }
    }
}

/// `application/x-www-form-urlencoded` query strings.
enum QueryString {
    static func encode(_ parameters: [(String, String)]) -> String {
        parameters.map { escape($0.0) + "=" + escape($0.1) }.joined(separator: "&")
    }

    private static let hex = Array("0123456789ABCDEF".utf8)

    static func escape(_ text: String) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                output.append(byte)
            default:
                output += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
