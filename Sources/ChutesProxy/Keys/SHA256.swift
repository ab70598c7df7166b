/// SHA-256 (FIPS 180-4), for the hashed keys of `PROXY_KEYS_FILE` (`key_sha256`): a key is
/// known by its digest, so the file need not hold the secret, and a presented key is compared
/// by its digest, whose bytes say nothing of how close a guess came. Written here rather than
/// taken from OpenSSL so the application module keeps to the layers it imports. It runs
/// twice on every request of a proxy with named keys (the head, then the request), so it
/// works in place: one allocation, the digest.
enum SHA256 {
    private static let roundConstants: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]

    /// The state after no input.
    private typealias State = (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)
    private static let initial: State = (0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19)

    /// The 32-byte digest of `message`.
    static func digest(_ message: some Collection<UInt8>) -> [UInt8] {
        if let digest = message.withContiguousStorageIfAvailable({ digest(UnsafeRawBufferPointer($0)) }) { return digest }
        return Array(message).withUnsafeBytes { digest($0) }
    }

    private static func digest(_ message: UnsafeRawBufferPointer) -> [UInt8] {
        var state = initial
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { words in
            var offset = 0
            while message.count - offset >= 64 {
                compress(&state, UnsafeRawBufferPointer(rebasing: message[offset..<(offset + 64)]), words)
                offset += 64
            }
            // The last bytes, 0x80, zeros and the length in bits: one block or two.
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 128) { tail in
                tail.initialize(repeating: 0)
                let left = message.count - offset
                for index in 0..<left { tail[index] = message[offset + index] }
                tail[left] = 0x80
                let length = left < 56 ? 64 : 128
                let bits = UInt64(message.count) &* 8
                for index in 0..<8 { tail[length - 1 - index] = UInt8(truncatingIfNeeded: bits >> UInt64(index * 8)) }
                let bytes = UnsafeRawBufferPointer(tail)
                compress(&state, UnsafeRawBufferPointer(rebasing: bytes[0..<64]), words)
                if length == 128 { compress(&state, UnsafeRawBufferPointer(rebasing: bytes[64..<128]), words) }
            }
        }
        return [UInt8](unsafeUninitializedCapacity: 32) { output, count in
            for (index, word) in [state.0, state.1, state.2, state.3, state.4, state.5, state.6, state.7].enumerated() {
                output[index * 4] = UInt8(truncatingIfNeeded: word >> 24)
                output[index * 4 + 1] = UInt8(truncatingIfNeeded: word >> 16)
                output[index * 4 + 2] = UInt8(truncatingIfNeeded: word >> 8)
                output[index * 4 + 3] = UInt8(truncatingIfNeeded: word)
            }
            count = 32
        }
    }

    /// One 64-byte block into the state.
    private static func compress(_ state: inout State, _ block: UnsafeRawBufferPointer, _ words: UnsafeMutableBufferPointer<UInt32>) {
        for index in 0..<16 {
            words[index] = UInt32(block[index * 4]) << 24 | UInt32(block[index * 4 + 1]) << 16 | UInt32(block[index * 4 + 2]) << 8 | UInt32(block[index * 4 + 3])
        }
        for index in 16..<64 {
            let s0 = rotate(words[index - 15], 7) ^ rotate(words[index - 15], 18) ^ (words[index - 15] >> 3)
            let s1 = rotate(words[index - 2], 17) ^ rotate(words[index - 2], 19) ^ (words[index - 2] >> 10)
            words[index] = words[index - 16] &+ s0 &+ words[index - 7] &+ s1
        }
        var (a, b, c, d, e, f, g, h) = state
        roundConstants.withUnsafeBufferPointer { constants in
            for index in 0..<64 {
                let s1 = rotate(e, 6) ^ rotate(e, 11) ^ rotate(e, 25)
                let choice = (e & f) ^ (~e & g)
                let t1 = h &+ s1 &+ choice &+ constants[index] &+ words[index]
                let s0 = rotate(a, 2) ^ rotate(a, 13) ^ rotate(a, 22)
                let majority = (a & b) ^ (a & c) ^ (b & c)
                (h, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ (s0 &+ majority))
            }
        }
        state = (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d, state.4 &+ e, state.5 &+ f, state.6 &+ g, state.7 &+ h)
    }

    /// The digest as 64 lowercase hexadecimal digits, as `sha256sum` prints it.
    static func hex(_ message: some Collection<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: digest(message).flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0xF)]] }, as: UTF8.self)
    }

    private static func rotate(_ value: UInt32, _ count: UInt32) -> UInt32 { value >> count | value << (32 - count) }
}
