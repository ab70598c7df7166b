import Synchronization

/// Random identifiers such as `req_…` and `msg_…`: a prefix and base-62 characters from a
/// wyrand generator seeded once from the system's random source. One id costs a few
/// multiplications under a lock instead of a `getrandom` system call per character.
/// Unique and unguessable enough to name a request in a bug report; not secrets.
enum RandomIdentifier {
    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
    private static let state = Mutex(UInt64.random(in: .min ... .max))

    /// `prefix` followed by `count` random base-62 characters.
    static func make(prefix: String, count: Int = 24) -> String {
        var words = [UInt64](repeating: 0, count: (count + 9) / 10)
        state.withLock { state in
            for index in words.indices { words[index] = next(&state) }
        }
        var id = Array(prefix.utf8)
        id.reserveCapacity(id.count + count)
        for position in 0..<count {
            // 62^10 < 2^64: each word gives ten characters; the tenth is the least even (some
            // characters 1/22 likelier than others), harmless for an identifier.
            let word = position / 10
            id.append(alphabet[Int(words[word] % 62)])
            words[word] /= 62
        }
        return String(decoding: id, as: UTF8.self)
    }

    /// wyrand: one 64-bit output per step, passes BigCrush and PractRand.
    private static func next(_ state: inout UInt64) -> UInt64 {
        state &+= 0xA076_1D64_78BD_642F
        let product = state.multipliedFullWidth(by: state ^ 0xE703_7ED1_A0B4_28DB)
        return product.high ^ product.low
    }
}

/// Anthropic-style request ids: `req_` and 24 base-62 characters.
enum RequestID {
    static func make() -> String { RandomIdentifier.make(prefix: "req_") }
}
