import Glibc

/// A fast random-number generator for identifiers (message ids, request ids), never for
/// secrets: wyrand over a state that each thread seeds once from the system generator.
///
/// `SystemRandomNumberGenerator` makes a `getrandom` system call for every value, which
/// showed as 7% of a loaded proxy's profile; this costs a multiply and a thread-local read.
public struct FastRandom: RandomNumberGenerator, Sendable {
    /// A handle on this thread's generator (seeded on the thread's first use).
    public init() {}

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let state = Self.threadState()
        state.pointee &+= 0xA076_1D64_78BD_642F
        let product = state.pointee.multipliedFullWidth(by: state.pointee ^ 0xE703_7ED1_A0B4_28DB)
        return product.high ^ product.low
    }

    /// `prefix` followed by `count` random characters of `[0-9A-Za-z]`, such as
    /// `msg_` and 24 characters for an Anthropic-style message id.
    public static func identifier(prefix: String, count: Int) -> String {
        var generator = FastRandom()
        let prefixBytes = prefix.utf8
        return String(unsafeUninitializedCapacity: prefixBytes.count + max(0, count)) { buffer in
            var position = buffer.initialize(fromContentsOf: prefixBytes)
            var remaining = max(0, count)
            while remaining > 0 {
                // 62^10 < 2^64: ten characters per value, with a negligible bias.
                var value = generator.next()
                for _ in 0..<min(10, remaining) {
                    buffer[position] = alphabet[Int(value % 62)]
                    value /= 62
                    position += 1
                    remaining -= 1
                }
            }
            return position
        }
    }

    private static let alphabet: [UInt8] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// This thread's state, created and seeded on the thread's first use and freed when the
    /// thread ends.
    private static func threadState() -> UnsafeMutablePointer<UInt64> {
        if let existing = pthread_getspecific(stateKey) {
            return existing.assumingMemoryBound(to: UInt64.self)
        }
        let state = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
        var system = SystemRandomNumberGenerator()
        state.initialize(to: system.next())
        pthread_setspecific(stateKey, state)
        return state
    }

    private static let stateKey: pthread_key_t = {
        var key = pthread_key_t()
        let created = pthread_key_create(&key) { state in state?.deallocate() }
        precondition(created == 0, "pthread_key_create failed: \(created)")
        return key
    }()
}
