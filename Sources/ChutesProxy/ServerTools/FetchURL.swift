import HTTP1

/// A URL the model asked `web_fetch` for, or a redirect's `Location`: http or https only,
/// no credentials, no spaces or control characters, at most `maxBytes`.
struct FetchURL: Sendable {
    let url: HTTPURL
    let text: String

    static let maxBytes = 2048

    init?(_ text: String) {
        guard text.utf8.count <= Self.maxBytes, !text.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }), let url = HTTPURL(text) else { return nil }
        self.url = url
        self.text = text
    }

    var host: String { url.host }

    /// A redirect's `Location` resolved against this URL: absolute, scheme-relative (`//host/`)
    /// or path-absolute (`/path`); a relative path is taken from this URL's directory.
    func resolving(_ location: String) -> FetchURL? {
        let origin = "\(url.scheme.rawValue)://\(url.hostHeader)"
        if location.hasPrefix("//") { return FetchURL("\(url.scheme.rawValue):\(location)") }
        if location.hasPrefix("/") { return FetchURL(origin + location) }
        if location.firstRange(of: "://") != nil || location.contains(":") && !location.hasPrefix(".") && location.prefix(while: { $0 != ":" }).allSatisfy({ $0.isLetter }) {
            return FetchURL(location)  // absolute, or another scheme (refused by the init)
        }
        let directory = url.path.hasSuffix("/") ? url.path : String(url.path.prefix(upTo: url.path.lastIndex(of: "/") ?? url.path.startIndex))
        return FetchURL(origin + directory + "/" + location)
    }
}
