import HTTP1

/// Who a request's key says the caller is.
enum Caller: Sendable, Equatable {
    /// No key is asked for (the proxy is open).
    case anyone
    /// A key of `PROXY_API_KEYS` or `PROXY_API_KEYS_FILE`: no name, no limits.
    case unnamed
    /// A key of `PROXY_KEYS_FILE`.
    case named(NamedKey)

    /// The key's name, for the access line, the metrics and the usage counts.
    var name: String? {
        if case .named(let key) = self { return key.name }
        return nil
    }
}

/// The keys in force: the unnamed ones and the named ones of the keys file, as one value
/// swapped whole on a reload.
struct KeyRing: Sendable {
    let unnamed: InboundKeys
    let named: [NamedKey]

    /// Whether no key is set (the proxy is open).
    var isEmpty: Bool { unnamed.isEmpty && named.isEmpty }

    /// The caller a request's head names, or nil when it carries none of the keys. Every
    /// presented key is compared with every key, the unnamed ones byte by byte over
    /// `InboundKeys.maximumLength` and the named ones by SHA-256 digest, so the time taken
    /// tells nothing of how close a guess came, nor which key matched.
    func caller(_ headers: HTTPHeaders) -> Caller? {
        if isEmpty { return .anyone }
        var found: Caller?
        for candidate in InboundKeys.presented(headers) {
            if unnamed.matches(candidate), found == nil { found = .unnamed }
            guard !named.isEmpty else { continue }
            let digest = SHA256.digest(candidate)
            var match: NamedKey?
            for key in named where Self.equalDigests(digest, key.digest) && match == nil { match = key }
            if let match, found == nil || found == .unnamed { found = .named(match) }
        }
        return found
    }

    /// Two 32-byte digests compared without an early exit.
    static func equalDigests(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
