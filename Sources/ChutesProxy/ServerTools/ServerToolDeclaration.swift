import JSON

/// One of Anthropic's server tools the proxy runs itself, as the client declared it: the
/// upstream model sees an ordinary function of the same name, and the proxy answers its calls.
struct ServerToolDeclaration: Sendable, Equatable {
    /// What the tool does.
    enum Kind: String, Sendable {
        case webSearch = "web_search"
        case webFetch = "web_fetch"
    }

    var kind: Kind
    /// The versioned type as the client sent it (`web_search_20250305`, ...).
    var type: String
    /// The name the model calls it by (`web_search`, `web_fetch`).
    var name: String
    /// Calls allowed in one request; nil is no limit but the loop's own.
    var maxUses: Int?
    var domains: DomainFilter
    /// `user_location` of web search: a country code, region, city and time zone.
    var userLocation: UserLocation?
    /// web fetch: about how many tokens of a page's text the model is given.
    var maxContentTokens: Int?
    /// web fetch: whether the fetched document carries `citations: {enabled: true}`.
    var citations: Bool

    /// Where the searcher is, roughly (Anthropic's `user_location`, type `approximate`).
    struct UserLocation: Sendable, Equatable {
        var country: String?
        var region: String?
        var city: String?
        var timezone: String?
    }

    /// Every version the official SDK's types list. A later dated version (`web_search_` or
    /// `web_fetch_` and eight digits) is taken too: the versions so far differ in options the
    /// proxy does not emulate (dynamic filtering by code execution), not in the block shapes.
    static let knownTypes: Set<String> = [
        "web_search_20250305", "web_search_20260209", "web_search_20260318",
        "web_fetch_20250910", "web_fetch_20260209", "web_fetch_20260309", "web_fetch_20260318",
    ]

    /// The kind a tool `type` names, if it is one of the server tools the proxy runs.
    static func kind(ofType type: String) -> Kind? {
        for kind in [Kind.webSearch, .webFetch] {
            let prefix = kind.rawValue + "_"
            guard type.hasPrefix(prefix) else { continue }
            let date = type.utf8.dropFirst(prefix.utf8.count)
            if knownTypes.contains(type) || (date.count == 8 && date.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) { return kind }
        }
        return nil
    }

    /// The server tools `tools` declares (none when it declares none); throws Anthropic's 400
    /// for an option it would refuse.
    static func declarations(in tools: JSONValue?) throws(AnthropicError) -> [ServerToolDeclaration] {
        guard let tools = tools?.arrayValue else { return [] }
        var found: [ServerToolDeclaration] = []
        for (index, tool) in tools.enumerated() {
            guard let type = tool["type"]?.stringValue, let kind = kind(ofType: type) else { continue }
            let field = "tools.\(index)"
            let name = tool["name"]?.stringValue ?? kind.rawValue
            guard name == kind.rawValue else { throw AnthropicError(status: .badRequest, message: "\(field).name: Input should be '\(kind.rawValue)'") }
            guard !found.contains(where: { $0.kind == kind }) else { throw AnthropicError(status: .badRequest, message: "\(field): tool names must be unique ('\(name)')") }
            var maxUses: Int?
            if let value = tool["max_uses"], !value.isNull {
                guard let uses = value.intValue, uses >= 1 else { throw AnthropicError(status: .badRequest, message: "\(field).max_uses: Input should be greater than or equal to 1") }
                maxUses = uses
            }
            var maxContentTokens: Int?
            if kind == .webFetch, let value = tool["max_content_tokens"], !value.isNull {
                guard let tokens = value.intValue, tokens >= 1 else {
                    throw AnthropicError(status: .badRequest, message: "\(field).max_content_tokens: Input should be greater than or equal to 1")
                }
                maxContentTokens = tokens
            }
            let domains = try DomainFilter(allowed: tool["allowed_domains"], blocked: tool["blocked_domains"], field: field)
            found.append(
                ServerToolDeclaration(
                    kind: kind, type: type, name: name, maxUses: maxUses, domains: domains,
                    userLocation: kind == .webSearch ? userLocation(tool["user_location"]) : nil,
                    maxContentTokens: maxContentTokens, citations: tool["citations"]?["enabled"]?.boolValue ?? false))
        }
        return found
    }

    private static func userLocation(_ value: JSONValue?) -> UserLocation? {
        guard let value, value.objectValue != nil else { return nil }
        func field(_ name: String) -> String? { value[name]?.stringValue.map { String($0.prefix(64)) } }
        return UserLocation(country: field("country"), region: field("region"), city: field("city"), timezone: field("timezone"))
    }

    /// The function the upstream model is given in the tool's place.
    var functionTool: JSONValue {
        switch kind {
        case .webSearch:
            var description = "Search the web. Returns the title, URL, age and an excerpt of each result; cite the URLs you use."
            if !domains.allowed.isEmpty { description += " Only results from these domains are returned: \(domains.allowed.joined(separator: ", "))." }
            return [
                "name": JSONValue(name), "description": JSONValue(description),
                "input_schema": [
                    "type": "object", "properties": ["query": ["type": "string", "description": "The search query"]], "required": ["query"],
                ],
            ]
        case .webFetch:
            return [
                "name": JSONValue(name),
                "description": "Fetch a web page or PDF by its http(s) URL and return its text. Use URLs the user gave or a search returned.",
                "input_schema": [
                    "type": "object", "properties": ["url": ["type": "string", "description": "The URL to fetch"]], "required": ["url"],
                ],
            ]
        }
    }
}
