import AsyncIO
import HTTP1
import JSON
import TestSupport
import Testing

@testable import ChutesProxy

/// web_fetch: pages reduced to text, and the SSRF guard (addresses, names that resolve to
/// them, redirects to them, other schemes).
@Suite(.serialized) struct WebFetchTests {
    static let fetchTool: JSONValue = ["type": "web_fetch_20250910", "name": "web_fetch", "max_uses": 2]
    static let page = "<html><head><title>A &amp; B</title><script>var secret = 1;</script></head><body><p>Hello&nbsp;world</p><div>second &#x263A; line</div></body></html>"

    static func pageServer(_ answer: @escaping @Sendable (HTTPRequest) -> HTTPResponse = { _ in HTTPResponse(status: .ok, contentType: "text/html; charset=utf-8", body: Array(page.utf8)) })
        throws -> ScriptedUpstream
    {
        try ScriptedUpstream { request, _ in answer(request) }
    }

    /// The client's result block for a fetch of `url` through the proxy.
    static func fetchResult(_ url: String, environment: [String: String] = [:], userSays: String? = nil) async throws -> (result: JSONValue, toolMessage: String?) {
        try await withScriptedUpstream(ServerToolsTests.model(calling: "web_fetch", input: ["url": JSONValue(url)])) { upstream in
            try await withRunningProxy(upstream: upstream, environment: environment) { proxy in
                let messages: JSONValue = [["role": "user", "content": JSONValue(userSays ?? "Please read \(url) for me.")]]
                let response = try await proxy.post("/v1/messages", ServerToolsTests.request(stream: false, tools: [Self.fetchTool], messages: messages))
                let message = try JSONValue(parsing: response.body)
                let content = message["content"]?.arrayValue ?? []
                #expect(content.map { $0["type"]?.stringValue } == ["server_tool_use", "web_fetch_tool_result", "text"])
                try #require(content.count >= 2)
                return (content.count > 1 ? content[1]["content"] ?? nil : nil, ServerToolsTests.toolMessages(upstream.completionRequests).first)
            }
        }
    }

    @Test func loopbackAddressesAndNamesAreRefusedAndNeverContacted() async throws {
        try await withStopping(try Self.pageServer()) { page in
            let port = page.baseURL.split(separator: ":").last.map(String.init) ?? ""
            for url in ["http://127.0.0.1:\(port)/page", "http://localhost:\(port)/page", "http://[::1]:\(port)/page"] {
                let (result, toolMessage) = try await Self.fetchResult(url)
                #expect(result["error_code"] == "url_not_allowed", "\(url)")
                #expect(toolMessage?.contains("url_not_allowed") == true)
            }
            #expect(page.received.isEmpty)
        }
    }

    @Test func aURLTheConversationDoesNotHoldIsNotFetched() async throws {
        try await withStopping(try Self.pageServer()) { page in
            let (result, _) = try await Self.fetchResult(
                page.baseURL + "/page?leak=secret", environment: ["WEB_FETCH_ALLOW_PRIVATE": "1"], userSays: "Read \(page.baseURL)/page please.")
            #expect(result["error_code"] == "url_not_in_prior_context")
            #expect(page.received.isEmpty)
        }
    }

    @Test func aURLFromAnEarlierSearchResultMayBeFetched() throws {
        let result = try #require(SearchResult(url: "https://swift.org/blog/", title: "Blog", pageAge: nil, snippet: ""))
        let earlier: JSONValue = ["role": "assistant", "content": [["type": "web_search_tool_result", "tool_use_id": "s", "content": [SearchResultCodec.block(result)]]]]
        let modelSaid: JSONValue = ["role": "assistant", "content": [["type": "text", "text": "I will fetch https://evil.example/?q=secret"]]]
        #expect(PriorContext.mentions("https://swift.org/blog", in: PriorContext.sources(messages: [earlier], answered: [])))
        #expect(!PriorContext.mentions("https://evil.example/?q=secret", in: PriorContext.sources(messages: [modelSaid], answered: [])))
    }

    @Test(arguments: ["file:///etc/passwd", "ftp://example.com/x", "gopher://127.0.0.1:70/", "http://user:pw@example.com/", "javascript:alert(1)"])
    func otherSchemesAndCredentialsAreRefused(url: String) async throws {
        let (result, _) = try await Self.fetchResult(url)
        #expect(result["error_code"] == "url_not_allowed")
    }

    @Test func withPrivateAllowedThePageIsFetchedAsText() async throws {
        try await withStopping(try Self.pageServer()) { page in
            let (result, toolMessage) = try await Self.fetchResult(page.baseURL + "/page", environment: ["WEB_FETCH_ALLOW_PRIVATE": "1"])
            #expect(result["type"] == "web_fetch_result")
            #expect(result["url"] == JSONValue(page.baseURL + "/page"))
            #expect(result["content"]?["title"] == "A & B")
            let text = try #require(result["content"]?["source"]?["data"]?.stringValue)
            #expect(text == "Hello world\nsecond \u{263A} line")
            #expect(toolMessage?.contains("Hello world\nsecond") == true)
            #expect(result["retrieved_at"]?.stringValue?.hasSuffix("Z") == true)
        }
    }

    @Test func aRedirectToARefusedAddressIsRefusedAndNotFollowed() async throws {
        try await withStopping(try Self.pageServer()) { inside in
            try await withStopping(try Self.pageServer { _ in HTTPResponse(status: 302, headers: ["Location": inside.baseURL + "/secret"]) }) { outside in
                let outsidePort = HTTPURL(outside.baseURL)!.port
                // Only the "outside" server counts as public for this fetcher.
                var settings = ServerToolSettings()
                settings.fetchAllowPrivate = true
                var configuration = HTTPClient.Configuration()
                configuration.admitsAddress = { $0.port == outsidePort }
                let fetcher = try WebFetcher(settings: settings, clientConfiguration: configuration)
                let declaration = try #require(try ServerToolDeclaration.declarations(in: [Self.fetchTool]).first)
                await #expect(throws: FetchFailure.urlNotAllowed) {
                    try await fetcher.fetch(["url": JSONValue(outside.baseURL + "/start")], declaration: declaration)
                }
                #expect(outside.received.count == 1)
                #expect(inside.received.isEmpty)
            }
        }
    }

    @Test func blockedDomainsAreRefusedBeforeAnyConnection() async throws {
        try await withStopping(try Self.pageServer()) { page in
            var settings = ServerToolSettings()
            settings.fetchAllowPrivate = true
            let fetcher = try WebFetcher(settings: settings, clientConfiguration: HTTPClient.Configuration())
            let tool: JSONValue = ["type": "web_fetch_20260318", "name": "web_fetch", "blocked_domains": ["localhost"]]
            let declaration = try #require(try ServerToolDeclaration.declarations(in: [tool]).first)
            await #expect(throws: FetchFailure.urlNotAllowed) {
                try await fetcher.fetch(["url": JSONValue(page.baseURL + "/x")], declaration: declaration)
            }
            #expect(page.received.isEmpty)
        }
    }

    /// What a fetch of a page served as `contentType` gives, with private addresses allowed.
    static func fetchServed(_ body: [UInt8], contentType: String, maxBytes: Int = 5 << 20, tool: JSONValue = fetchTool) async throws -> Result<JSONValue, FetchFailure> {
        try await withStopping(try Self.pageServer { _ in HTTPResponse(status: .ok, contentType: contentType, body: body) }) { page in
            var settings = ServerToolSettings()
            settings.fetchAllowPrivate = true
            settings.fetchMaxBytes = maxBytes
            let fetcher = try WebFetcher(settings: settings, clientConfiguration: HTTPClient.Configuration())
            let declaration = try #require(try ServerToolDeclaration.declarations(in: [tool]).first)
            do throws(FetchFailure) {
                return .success(try await fetcher.fetch(["url": JSONValue(page.baseURL + "/doc")], declaration: declaration))
            } catch {
                return .failure(error)
            }
        }
    }

    @Test func aPDFIsABase64DocumentAndOtherBinariesAreUnsupported() async throws {
        let pdf = Array("%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n".utf8) + [0, 1, 2, 255]
        let fetched = try await Self.fetchServed(pdf, contentType: "application/pdf").get()
        #expect(fetched["content"]?["source"]?["type"] == "base64")
        #expect(fetched["content"]?["source"]?["media_type"] == "application/pdf")
        #expect(fetched["content"]?["source"]?["data"]?.stringValue.flatMap { Base64.decode($0, limit: 1 << 20) } == pdf)
        let image = try await Self.fetchServed([0x89, 0x50, 0x4E, 0x47], contentType: "image/png")
        #expect(throws: FetchFailure.unsupportedContentType) { try image.get() }
    }

    @Test func aPageOverTheSizeCapIsContentTooLargeAndMaxContentTokensCutsTheText() async throws {
        let big = Array(String(repeating: "x", count: 4096).utf8)
        let tooLarge = try await Self.fetchServed(big, contentType: "text/plain", maxBytes: 1024)
        #expect(throws: FetchFailure.contentTooLarge) { try tooLarge.get() }
        let cut = try await Self.fetchServed(big, contentType: "text/plain", tool: ["type": "web_fetch_20250910", "name": "web_fetch", "max_content_tokens": 10]).get()
        #expect(cut["content"]?["source"]?["data"]?.stringValue?.utf8.count == 40)
    }

    @Test func searchResultFieldsAreCappedAndNonHTTPResultsDropped() throws {
        let long = String(repeating: "é", count: 5000)
        let result = try #require(SearchResult(url: "https://swift.org/", title: long, pageAge: long, snippet: long))
        #expect(result.title.utf8.count <= SearchResult.maxTitleBytes)
        #expect(result.snippet.utf8.count <= SearchResult.maxSnippetBytes)
        #expect(result.pageAge?.utf8.count ?? 0 <= 64)
        #expect(result.title.unicodeScalars.allSatisfy { $0 == "é" })
        #expect(SearchResult(url: "javascript:alert(1)", title: "t", pageAge: nil, snippet: nil) == nil)
        #expect(SearchResult(url: "https://x/" + String(repeating: "a", count: 3000), title: "t", pageAge: nil, snippet: nil) == nil)
    }

    @Test(arguments: [
        "127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255",
        "::1", "::", "fd00:ec2::254", "fc00::1", "fe80::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:7f00:1::", "ff02::1",
    ])
    func privateAddressesAreNotPublic(ip: String) throws {
        let address = try #require(SocketAddress(ip: ip, port: 80))
        #expect(!AddressGuard.isPublic(address))
    }

    @Test(arguments: ["8.8.8.8", "93.184.216.34", "172.32.0.1", "2606:4700:4700::1111", "2a00:1450:4001::200e"])
    func publicAddressesArePublic(ip: String) throws {
        #expect(AddressGuard.isPublic(try #require(SocketAddress(ip: ip, port: 443))))
    }

    @Test func htmlIsReducedLinearlyAndBounded() {
        // Each shape makes a naive reducer search the rest of the page at every tag.
        // Linear: eight times the page takes about eight times as long, where a quadratic
        // reducer takes 64. A ratio of the best of three runs each (bound 24, three times the
        // linear 8: caches and allocation make a bigger page somewhat dearer per byte, 8.6x
        // was seen for 4x), not a bound in seconds, which a loaded machine broke (2.3 s
        // against 2 s).
        func fastest(_ page: [UInt8]) -> Duration {
            (0..<3).map { _ in ContinuousClock().measure { _ = HTMLText(html: page, limit: 1 << 20) } }.min()!
        }
        for hostile in ["<head><title>", "<title>x", "<script>", "<!--", "<p>x &amp; y", "<a href='"] {
            let small = fastest(Array(String(repeating: hostile, count: 10_000).utf8))
            let large = fastest(Array(String(repeating: hostile, count: 80_000).utf8))
            #expect(large < max(small, .milliseconds(1)) * 24, "\(hostile): \(small) for 10,000, \(large) for 80,000")
        }
        let bounded = HTMLText(html: Array(String(repeating: "<p>word ", count: 10_000).utf8), limit: 100)
        #expect(bounded.text.utf8.count <= 100)
    }

    @Test func base64RoundTripsAndRefusesGarbage() {
        for length in 0..<10 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 37 + 5) }
            #expect(Base64.decode(Base64.encode(bytes), limit: 100) == bytes)
        }
        #expect(Base64.encode(Array("Man".utf8)) == "TWFu")
        #expect(Base64.encode(Array("Ma".utf8)) == "TWE=")
        #expect(Base64.decode("TW=u", limit: 100) == nil)
        #expect(Base64.decode("T!Fu", limit: 100) == nil)
        #expect(Base64.decode(String(repeating: "A", count: 1000), limit: 10) == nil)
    }
}
