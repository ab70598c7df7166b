import HTTP1

/// The keys clients must present to use the proxy (`PROXY_API_KEYS`, `PROXY_API_KEYS_FILE`),
/// in `x-api-key` or `Authorization: Bearer`. Empty: the proxy is open.
public struct InboundKeys: Sendable, Equatable {
    /// Longer keys are refused at start-up, so every comparison can take the same time.
    public static let maximumLength = 512

    private let keys: [[UInt8]]

    /// The keys clients may present.
    public init(_ keys: [String]) {
        var unique: [[UInt8]] = []
        for key in keys where !unique.contains(Array(key.utf8)) { unique.append(Array(key.utf8)) }
        self.keys = unique
    }

    /// Whether no key is set (the proxy is open).
    public var isEmpty: Bool { keys.isEmpty }
    /// How many keys are set.
    public var count: Int { keys.count }

    /// Whether the request carries one of the keys. Every key is compared over
    /// `maximumLength` bytes whatever the input, so the time taken tells nothing of how
    /// close a guess came or how long the keys are.
    func accept(_ headers: HTTPHeaders) -> Bool {
        Self.presented(headers).reduce(false) { matches($1) || $0 }
    }

    /// Whether `candidate` is one of the keys, compared with each of them in constant time.
    func matches(_ candidate: [UInt8]) -> Bool {
        var accepted = false
        for key in keys {
            accepted = Self.equalInConstantTime(candidate, key) || accepted
        }
        return accepted
    }

    /// The keys a request presents, in `x-api-key` and `Authorization: Bearer`, leaving out
    /// empty ones and any longer than `maximumLength` (no key is).
    static func presented(_ headers: HTTPHeaders) -> [[UInt8]] {
        var presented: [[UInt8]] = []
        if let key = headers["x-api-key"] { presented.append(Array(key.utf8)) }
        if let authorization = headers["Authorization"], authorization.utf8.count > 7,
            authorization.prefix(7).lowercased() == "bearer "
        {
            presented.append(Array(authorization.dropFirst(7).trimmingOptionalWhitespace.utf8))
        }
        return presented.filter { !$0.isEmpty && $0.count <= maximumLength }
    }

    static func equalInConstantTime(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt(bitPattern: a.count ^ b.count)
        for index in 0..<maximumLength {
            let x = index < a.count ? a[index] : 0
            let y = index < b.count ? b[index] : 0
            difference |= UInt(x ^ y)
        }
        return difference == 0
    }
}
