import TestSupport
import Testing

@testable import ChutesProxy

@Suite struct SecretRedactorTests {
    private let key = "cpk_0123456789abcdef"

    private func scrubbed(_ text: String, secrets: [String?]) -> String {
        String(decoding: SecretRedactor(secrets: secrets).scrub(Array(text.utf8)), as: UTF8.self)
    }

    @Test func everyOccurrenceGoesWhereverItStands() {
        #expect(scrubbed("\(key)", secrets: [key]) == "[redacted]")
        #expect(scrubbed("Bearer \(key), again \(key)\(key).", secrets: [key]) == "Bearer [redacted], again [redacted][redacted].")
        #expect(scrubbed("no key here: cpk_0123456789abcde", secrets: [key]) == "no key here: cpk_0123456789abcde")
        #expect(scrubbed("cpk", secrets: [key]) == "cpk")
        #expect(scrubbed("", secrets: [key]) == "")
    }

    @Test(arguments: ["\u{301}", "\u{200D}", "\u{FE0F}", "é"])
    func whatFollowsTheKeyDoesNotHideIt(after: String) {
        let text = "key=\(key)\(after) end"
        #expect(scrubbed(text, secrets: [key]) == "key=[redacted]\(after) end")
    }

    @Test func shortAndMissingSecretsAreLeftAloneAndTheLongestGoesFirst() {
        #expect(scrubbed("a 1234567 b", secrets: ["1234567", nil]) == "a 1234567 b")
        #expect(scrubbed("a 12345678 b", secrets: [nil, "12345678"]) == "a [redacted] b")
        // The client's key contains the operator's: it goes whole, not leaving its tail.
        #expect(scrubbed("x \(key)-tail y \(key)", secrets: [key, key + "-tail", key]) == "x [redacted] y [redacted]")
    }

    /// Compared with a plain search at random: keys and near misses at every position,
    /// overlapping runs, the key at the very end.
    @Test func agreesWithAPlainSearch() {
        var random = SplitMix64(seed: 20)
        let secret = Array("ab_cab_cabX".utf8)
        let pieces: [[UInt8]] = [secret, Array(secret.dropLast()), Array("a".utf8), Array("b_c".utf8), Array("ab_cab_c".utf8), Array(" ".utf8)]
        for _ in 0..<2000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...8, using: &random) { bytes += pieces.randomElement(using: &random)! }
            let expected = Self.plainReplacing(secret, in: bytes)
            #expect(SecretRedactor(secrets: [String(decoding: secret, as: UTF8.self)]).scrub(bytes) == expected, "\(String(decoding: bytes, as: UTF8.self))")
        }
    }

    private static func plainReplacing(_ secret: [UInt8], in bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if index + secret.count <= bytes.count && Array(bytes[index..<index + secret.count]) == secret {
                output += SecretRedactor.replacement
                index += secret.count
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return output
    }

    @Test func upstreamTextIsScrubbedWholeBeforeItIsCut() {
        let redactor = SecretRedactor(secrets: [key])
        // The key straddles the 500th character: no piece of it may survive the cut.
        let body = String(repeating: "x", count: 495) + key + String(repeating: "y", count: 100)
        let quoted = UpstreamErrors.quoted(body.utf8, redactor: redactor)
        #expect(quoted == String(repeating: "x", count: 495) + "[reda" + "…")
        #expect(!quoted.contains("cpk_"))
        // JSON escapes spell the key out only once parsed: the message is scrubbed as read.
        let escaped = Array(#"{"error":{"message":"bad key \u0063pk_0123456789abcdef"}}"#.utf8)
        #expect(UpstreamErrors.message(in: escaped, redactor: redactor) == "bad key [redacted]")
    }
}
