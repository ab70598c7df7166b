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

    /// As given: made for every request, it only keeps them (one small array); the work is
    /// done when something is scrubbed, which is rare.
    private let secrets: [String?]

    /// Redacts each of `secrets` of `minimumBytes` or more (nils and repeats are skipped).
    init(secrets: [String?]) {
        self.secrets = secrets
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
    private var redacted: [[UInt8]] {
        var unique: [[UInt8]] = []
        for case let secret? in secrets where secret.utf8.count >= Self.minimumBytes {
            let bytes = Array(secret.utf8)
            if !unique.contains(bytes) { unique.append(bytes) }
        }
        return unique.sorted { $0.count > $1.count }
    }

    /// `bytes` with each occurrence of `secret` replaced; `bytes` itself when there is none.
    /// `memchr` finds each candidate start (the secret's first byte) and `memcmp` compares from
    /// there: one pass at memory speed plus a short compare per occurrence of that byte, which
    /// stays linear for any key that is not one byte repeated.
    private static func replacing(_ secret: [UInt8], in bytes: [UInt8]) -> [UInt8] {
        guard let first = secret.first, bytes.count >= secret.count else { return bytes }
        var output: [UInt8] = []
        var copied = 0
        bytes.withUnsafeBytes { haystack in
            secret.withUnsafeBytes { needle in
                guard let base = haystack.baseAddress, let needleBase = needle.baseAddress else { return }
                var offset = 0
                // A match needs `needle.count` bytes from its start.
                while haystack.count - offset >= needle.count {
                    guard let candidate = memchr(base + offset, Int32(first), haystack.count - offset - needle.count + 1) else { break }
                    let start = base.distance(to: UnsafeRawPointer(candidate))
                    guard memcmp(candidate, needleBase, needle.count) == 0 else {
                        offset = start + 1
                        continue
                    }
                    if output.isEmpty { output.reserveCapacity(bytes.count) }
                    output += bytes[copied..<start]
                    output += replacement
                    copied = start + needle.count
                    offset = copied
                }
            }
        }
        guard copied > 0 else { return bytes }
        output += bytes[copied...]
        return output
    }
}
