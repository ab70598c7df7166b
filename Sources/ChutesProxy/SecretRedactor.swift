import Glibc

/// The keys an upstream request carried, and their removal from anything of the upstream's
/// the proxy quotes: an upstream may echo the `Authorization` header it received into an
/// error message, a stream's error line or a page that is not JSON.
///
/// It works on bytes, before any text is decoded or cut: a key followed by a combining accent
/// or a zero-width joiner is still the key's bytes (compared as characters it would not be,
/// since the accent joins the key's last character), and a cut made after scrubbing cannot
/// leave a piece of a key behind.
struct SecretRedactor: Sendable {
    /// What each secret becomes.
    static let replacement = Array("[redacted]".utf8)
    /// Shorter values are not treated as secrets: replacing them would garble ordinary text,
    /// and a key that short is no secret anyway.
    static let minimumBytes = 8

    /// As given: made for every request, it only keeps them (the request's key and the
    /// configured keys' array, shared by every request); the work is done when something is
    /// scrubbed, which is rare.
    private let key: String?
    private let secrets: [String?]

    /// Redacts each of `secrets` of `minimumBytes` or more (nils and repeats are skipped).
    init(secrets: [String?]) {
        key = nil
        self.secrets = secrets
    }

    /// Redacts the request's `key` and every provider's configured key (`configured`, one
    /// array kept by the upstreams, so a request allocates nothing for it).
    init(key: String?, configured: [String?]) {
        self.key = key
        secrets = configured
    }

    /// `bytes` with every occurrence of every secret replaced by `[redacted]`.
    func scrub(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var result = Array(bytes)
        for secret in redacted {
            result = Self.replacing(secret, in: result)
        }
        return result
    }

    /// The secrets' bytes, long enough ones only, each once, the longest first (so that a
    /// secret containing another one is replaced whole).
    var redacted: [[UInt8]] {
        var unique: [[UInt8]] = []
        func add(_ secret: String?) {
            guard let secret, secret.utf8.count >= Self.minimumBytes else { return }
            let bytes = Array(secret.utf8)
            if !unique.contains(bytes) { unique.append(bytes) }
        }
        add(key)
        for secret in secrets { add(secret) }
        return unique.sorted { $0.count > $1.count }
    }

    /// `bytes` with each occurrence of `secret` replaced; `bytes` itself when there is none.
    static func replacing(_ secret: [UInt8], in bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        var copied = 0
        bytes.withUnsafeBytes { haystack in
            while let start = firstOccurrence(of: secret, in: haystack, from: copied) {
                if output.isEmpty { output.reserveCapacity(bytes.count) }
                output += bytes[copied..<start]
                output += replacement
                copied = start + secret.count
            }
        }
        guard copied > 0 else { return bytes }
        output += bytes[copied...]
        return output
    }

    /// Where `secret` first occurs in `haystack` at or after `offset`. `memchr` finds each
    /// candidate start (the secret's first byte) and `memcmp` compares from there: one pass
    /// at memory speed plus a short compare per occurrence of that byte, which stays linear
    /// for any key that is not one byte repeated.
    static func firstOccurrence(of secret: [UInt8], in haystack: UnsafeRawBufferPointer, from offset: Int) -> Int? {
        guard let first = secret.first, let base = haystack.baseAddress else { return nil }
        return secret.withUnsafeBytes { needle -> Int? in
            var offset = offset
            // A match needs `needle.count` bytes from its start.
            while haystack.count - offset >= needle.count {
                guard let candidate = memchr(base + offset, Int32(first), haystack.count - offset - needle.count + 1) else { return nil }
                let start = base.distance(to: UnsafeRawPointer(candidate))
                if memcmp(candidate, needle.baseAddress!, needle.count) == 0 { return start }
                offset = start + 1
            }
            return nil
        }
    }
}
