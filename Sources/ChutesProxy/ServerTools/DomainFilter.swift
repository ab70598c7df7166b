import JSON

/// `allowed_domains` / `blocked_domains` of a server tool: which hosts its results and
/// fetches may come from. A domain covers its subdomains (`example.com` covers
/// `docs.example.com`); a scheme or path written with it is ignored; case does not matter.
struct DomainFilter: Sendable, Equatable {
    var allowed: [String] = []
    var blocked: [String] = []

    /// More would make every result's check slow and the tool's description long.
    static let maxDomains = 100

    init(allowed: [String] = [], blocked: [String] = []) {
        self.allowed = allowed
        self.blocked = blocked
    }

    /// Reads the two lists; Anthropic refuses both at once, and so does the proxy.
    init(allowed: JSONValue?, blocked: JSONValue?, field: String) throws(AnthropicError) {
        self.allowed = try Self.domains(allowed, field: "\(field).allowed_domains")
        self.blocked = try Self.domains(blocked, field: "\(field).blocked_domains")
        guard self.allowed.isEmpty || self.blocked.isEmpty else {
            throw AnthropicError(status: .badRequest, message: "\(field): allowed_domains and blocked_domains cannot be used together")
        }
    }

    private static func domains(_ value: JSONValue?, field: String) throws(AnthropicError) -> [String] {
        guard let value, !value.isNull else { return [] }
        guard let list = value.arrayValue else { throw AnthropicError(status: .badRequest, message: "\(field): Input should be a valid list") }
        guard list.count <= maxDomains else { throw AnthropicError(status: .badRequest, message: "\(field): at most \(maxDomains) domains") }
        var domains: [String] = []
        for (index, entry) in list.enumerated() {
            guard let text = entry.stringValue, let domain = normalized(text) else {
                throw AnthropicError(status: .badRequest, message: "\(field).\(index): Input should be a domain name")
            }
            domains.append(domain)
        }
        return domains
    }

    /// `https://Docs.Example.com/path` -> `docs.example.com`; nil for an empty or absurd name.
    static func normalized(_ text: String) -> String? {
        var rest = Substring(text)
        if let scheme = rest.firstRange(of: "://") { rest = rest[scheme.upperBound...] }
        let host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }.lowercased()
        let trimmed = host.hasPrefix("www.") ? String(host.dropFirst(4)) : host
        guard !trimmed.isEmpty, trimmed.utf8.count <= 253 else { return nil }
        return trimmed
    }

    /// Whether `host` may be used.
    func permits(host: String) -> Bool {
        let host = host.lowercased()
        if blocked.contains(where: { Self.covers($0, host) }) { return false }
        return allowed.isEmpty || allowed.contains { Self.covers($0, host) }
    }

    /// `domain` is `host` or a parent of it.
    static func covers(_ domain: String, _ host: String) -> Bool {
        host == domain || (host.hasSuffix(domain) && host.utf8.dropLast(domain.utf8.count).last == UInt8(ascii: "."))
    }
}
