import Foundation
import JSON
import Testing
import Translation

@Suite struct TokenEstimatorTests {
    struct Reference: Sendable, CustomTestStringConvertible {
        var name: String
        var text: String
        var tokens: Int
        var testDescription: String { name }
    }

    /// Texts with their cl100k_base token counts, computed once with tiktoken.
    static let references: [Reference] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/cl100k-reference-counts.json")
        let value = try! JSONValue(parsing: Array(try! Data(contentsOf: url)))
        return value.arrayValue!.map { Reference(name: $0["name"]!.stringValue!, text: $0["text"]!.stringValue!, tokens: $0["cl100k_tokens"]!.intValue!) }
    }()

    @Test(arguments: references)
    func estimateIsWithinTwentyPercentOfCl100k(reference: Reference) {
        let estimate = TokenEstimator.estimate(text: reference.text)
        let ratio = Double(estimate) / Double(reference.tokens)
        #expect((0.8...1.2).contains(ratio), "\(reference.name): estimated \(estimate), cl100k \(reference.tokens), ratio \(ratio)")
    }

    @Test func requestEstimateGrowsWithEveryPart() throws {
        let bare: JSONValue = ["model": "m", "max_tokens": 1, "messages": [["role": "user", "content": "Hello there"]]]
        var withSystem = bare.objectValue!
        withSystem["system"] = "You are a careful assistant who explains every step."
        var withTools = withSystem
        withTools["tools"] = [["name": "Read", "description": "Reads a file", "input_schema": ["type": "object", "properties": ["path": ["type": "string"]]]]]
        let counts = [bare, .object(withSystem), .object(withTools)].map(TokenEstimator.estimate(request:))
        #expect(counts[0] < counts[1] && counts[1] < counts[2])
    }
}
