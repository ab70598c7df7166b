import AsyncIO
import Glibc
import HTTP1
import JSON

/// Runs one `web_fetch` call: the URL checked (scheme, length, domains), fetched by the
/// proxy through a client whose connector refuses non-public addresses (`AddressGuard`,
/// unless `WEB_FETCH_ALLOW_PRIVATE=1`), redirects followed by hand and each checked again,
/// within `WEB_TOOLS_TIMEOUT` and `WEB_FETCH_MAX_BYTES`; HTML reduced to text, other text as
/// it is, a PDF as a base64 document.
struct WebFetcher: Sendable {
    let client: HTTPClient
    let timeout: Duration
    let maxBytes: Int
    static let maxRedirects = 5
    /// Text given to the model when the tool sets no `max_content_tokens`: about 100k tokens.
    static let defaultMaxTextBytes = 400_000

    init(settings: ServerToolSettings, clientConfiguration: HTTPClient.Configuration) throws(HTTPClientError) {
        var configuration = clientConfiguration
        if !settings.fetchAllowPrivate { configuration.admitsAddress = AddressGuard.isPublic }
        // A pooled connection would outlive the check made when it was opened only for the
        // same origin, which is checked again on every request anyway.
        client = try HTTPClient(configuration: configuration)
        timeout = settings.toolTimeout
        maxBytes = settings.fetchMaxBytes
    }

    /// The `web_fetch_result` content for the model's `input` (`{"url": ...}`).
    func fetch(_ input: JSONValue, declaration: ServerToolDeclaration) async throws(FetchFailure) -> JSONValue {
        guard let text = input["url"]?.stringValue, !text.isEmpty else { throw .invalidToolInput }
        guard text.utf8.count <= FetchURL.maxBytes else { throw .urlTooLong }
        guard let requested = FetchURL(text) else { throw .urlNotAllowed }
        let fetched: (url: FetchURL, contentType: String, body: [UInt8])
        do {
            fetched = try await withTimeLimit(timeout) { [self] in try await follow(requested, domains: declaration.domains) }
        } catch let failure as FetchFailure {
            throw failure
        } catch {
            throw .urlNotAccessible
        }
        let mediaType = fetched.contentType.prefix { $0 != ";" }.trimmingOptionalWhitespace.lowercased()
        var document: JSONObject = ["type": "document"]
        if mediaType == "application/pdf" {
            document["source"] = ["type": "base64", "media_type": "application/pdf", "data": JSONValue(Base64.encode(fetched.body))]
        } else if mediaType == "text/html" || mediaType == "application/xhtml+xml" {
            let page = HTMLText(html: fetched.body, limit: textLimit(declaration))
            document["source"] = ["type": "text", "media_type": "text/plain", "data": JSONValue(page.text)]
            if let title = page.title { document["title"] = JSONValue(title) }
        } else if mediaType.hasPrefix("text/") || mediaType == "application/json" || mediaType.hasSuffix("+json") || mediaType.hasSuffix("xml") {
            let text = String(decoding: fetched.body.prefix(textLimit(declaration)), as: UTF8.self)
            document["source"] = ["type": "text", "media_type": "text/plain", "data": JSONValue(text)]
        } else {
            throw .unsupportedContentType
        }
        if declaration.citations { document["citations"] = ["enabled": true] }
        return ["type": "web_fetch_result", "url": JSONValue(requested.text), "content": .object(document), "retrieved_at": JSONValue(Self.timestamp())]
    }

    /// About four bytes a token.
    private func textLimit(_ declaration: ServerToolDeclaration) -> Int {
        declaration.maxContentTokens.map { $0.multipliedReportingOverflow(by: 4).overflow ? Self.defaultMaxTextBytes : min($0 * 4, maxBytes) } ?? Self.defaultMaxTextBytes
    }

    /// GETs `url`, following redirects: each hop's scheme and domain are checked here, its
    /// address by the client's connector.
    private func follow(_ url: FetchURL, domains: DomainFilter) async throws -> (url: FetchURL, contentType: String, body: [UInt8]) {
        var current = url
        for _ in 0...Self.maxRedirects {
            guard domains.permits(host: current.host) else { throw FetchFailure.urlNotAllowed }
            let response: HTTPClientResponse
            do {
                response = try await client.execute(
                    HTTPClientRequest(method: .get, url: current.url, headers: ["Accept": "text/html, text/plain, application/pdf, */*;q=0.5", "User-Agent": "claude-chutes-proxy web_fetch"]))
            } catch .addressRefused {
                throw FetchFailure.urlNotAllowed
            } catch .cancelled {
                throw CancellationError()
            } catch {
                throw FetchFailure.urlNotAccessible
            }
            switch response.status.rawValue {
            case 301, 302, 303, 307, 308:
                response.body.discard()
                guard let location = response.headers["Location"], let next = current.resolving(location) else { throw FetchFailure.urlNotAllowed }
                current = next
            case 200:
                let body: [UInt8]
                do {
                    body = try await response.body.collect(upTo: maxBytes)
                } catch .invalidResponse(let parse) where parse.status == .contentTooLarge {
                    throw FetchFailure.contentTooLarge
                } catch {
                    throw FetchFailure.urlNotAccessible
                }
                return (current, response.headers["Content-Type"] ?? "application/octet-stream", body)
            case 429:
                response.body.discard()
                throw FetchFailure.tooManyRequests
            default:
                response.body.discard()
                throw FetchFailure.urlNotAccessible
            }
        }
        throw FetchFailure.urlNotAccessible
    }

    /// Now, as `2026-12-02T04:19:02Z`.
    static func timestamp() -> String {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }
}

/// Why a fetch gave no page, as Anthropic's `web_fetch_tool_result_error` codes.
enum FetchFailure: Error, Sendable {
    case invalidToolInput, urlTooLong, urlNotAllowed, urlNotInPriorContext, urlNotAccessible, unsupportedContentType, tooManyRequests, maxUsesExceeded, unavailable,
        contentTooLarge

    var code: String {
        switch self {
        case .invalidToolInput: "invalid_tool_input"
        case .urlTooLong: "url_too_long"
        case .urlNotAllowed: "url_not_allowed"
        case .urlNotInPriorContext: "url_not_in_prior_context"
        case .urlNotAccessible: "url_not_accessible"
        case .unsupportedContentType: "unsupported_content_type"
        case .tooManyRequests: "too_many_requests"
        case .maxUsesExceeded: "max_uses_exceeded"
        case .unavailable: "unavailable"
        case .contentTooLarge: "content_too_large"
        }
    }
}
