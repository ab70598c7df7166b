/// `SecretRedactor` over a stream that arrives in pieces: the bytes of a stream are scrubbed
/// before they are decoded, so a key an upstream writes into a chunk (an echo, a model told
/// the key) never reaches the client, even split between two reads.
///
/// A piece that holds no key and does not end with the start of one passes through as it is
/// (one search per key per read, no copy); otherwise the piece is scrubbed and its last bytes,
/// when they could begin a key, are held until the next piece or the end.
struct StreamingSecretRedactor: Sendable {
    private let secrets: [[UInt8]]
    /// The end of the last piece: fewer bytes than a key, the start of one.
    private var held: [UInt8] = []

    init(_ redactor: SecretRedactor) {
        secrets = redactor.redacted
    }

    /// What of `piece` may be passed on, scrubbed.
    mutating func pass(_ piece: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        guard !secrets.isEmpty else { return piece }
        if held.isEmpty, !Self.containsAny(secrets, in: piece), Self.heldBackCount(piece, secrets: secrets) == 0 { return piece }
        var bytes = held + piece
        held = []
        for secret in secrets { bytes = SecretRedactor.replacing(secret, in: bytes) }
        let hold = Self.heldBackCount(bytes[...], secrets: secrets)
        held = Array(bytes.suffix(hold))
        return bytes.dropLast(hold)
    }

    /// The stream ended: what was held (less than a key) goes out.
    mutating func finish() -> [UInt8] {
        defer { held = [] }
        return held
    }

    private static func containsAny(_ secrets: [[UInt8]], in piece: ArraySlice<UInt8>) -> Bool {
        piece.withContiguousStorageIfAvailable { haystack in
            secrets.contains { SecretRedactor.firstOccurrence(of: $0, in: UnsafeRawBufferPointer(haystack), from: 0) != nil }
        } ?? true
    }

    /// How many of the last bytes of `bytes` are the beginning of a secret (shorter than it).
    private static func heldBackCount(_ bytes: ArraySlice<UInt8>, secrets: [[UInt8]]) -> Int {
        var longest = 0
        for secret in secrets {
            // Longest candidate first; most fail at their first byte.
            var length = min(secret.count - 1, bytes.count)
            while length > longest {
                if bytes.suffix(length).elementsEqual(secret.prefix(length)) {
                    longest = length
                    break
                }
                length -= 1
            }
        }
        return longest
    }
}
