import Foundation
import JSON
import TestSupport
import Testing

@testable import Translation

/// The interoperability corpus (`Fixtures/toolcalls/*.json`): model outputs per family, many
/// taken from vLLM's and sglang's own parser tests, each with the calls and the remaining text
/// the engines extract. The proxy must give the same, whole and cut at every point, both with
/// `TOOL_CALL_PARSER` set to the family and under `auto` with the model's name. Where the proxy
/// deliberately differs, the case says what the engine gives (`engine_calls`, `engine_text`)
/// and why (`difference`); its `calls` and `text` are then the proxy's.
@Suite struct InteroperabilityCorpusTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var file: String
        var family: String
        var model: String
        var tools: [(name: String, inputSchema: JSONValue)]
        var fixture: JSONValue

        var testDescription: String { "\(file): \(fixture["name"]?.stringValue ?? "?")" }
    }

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/toolcalls")

    static let files: [(name: String, content: JSONValue)] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted().map { name in
            (name, try! JSONValue(parsing: Array(try! Data(contentsOf: directory.appendingPathComponent(name)))))
        }
    }()

    static let cases: [Case] = files.flatMap { file in
        let tools = (file.content["tools"]?.arrayValue ?? []).map { (name: $0["name"]!.stringValue!, inputSchema: $0["input_schema"]!) }
        return (file.content["cases"]?.arrayValue ?? []).map { fixture in
            Case(
                file: file.name,
                family: fixture["setting"]?.stringValue ?? file.content["family"]!.stringValue!,
                model: fixture["model"]?.stringValue ?? file.content["model"]!.stringValue!,
                tools: tools, fixture: fixture
            )
        }
    }

    /// Calls as canonical JSON (keys sorted) and the text, however the parser split its output.
    struct Extracted: Equatable, CustomStringConvertible {
        var calls: [String]
        var text: String
        var description: String { "calls \(calls), text \(text.debugDescription)" }
    }

    @Test func theCorpusCoversEveryNewFamily() {
        #expect(Self.files.count >= 11)
        let families = Set(Self.cases.map(\.family))
        for family in ["minimax_m2", "seed_oss", "deepseek", "kimi", "kimi_k3", "glm", "longcat", "step3", "gemma4", "gpt_oss"] {
            #expect(families.contains(family), "\(family)")
        }
        for item in Self.cases {
            let hasDifference = item.fixture["difference"]?.stringValue?.isEmpty == false
            let saysWhatTheEngineDoes = item.fixture["engine_calls"] != nil || item.fixture["engine_text"] != nil
            #expect(hasDifference == saysWhatTheEngineDoes, "\(item.testDescription): a difference names the engine's result and the reason")
        }
    }

    @Test(arguments: cases)
    func theProxyExtractsWhatTheEnginesDo(_ item: Case) throws {
        #expect(ToolCallFamily.forModel(item.model) == ToolCallFamily(setting: item.family), "auto maps \(item.model) to \(item.family)")
        let expected = Extracted(
            calls: (item.fixture["calls"]?.arrayValue ?? []).map { Self.canonical(["name": $0["name"]!, "arguments": $0["arguments"]!]) },
            text: item.fixture["text"]?.stringValue ?? ""
        )
        let output = try #require(item.fixture["output"]?.stringValue)
        for setting in [item.family, "auto"] {
            let differing = firstSplitThatDiffers(output, expected: expected) { pieces in
                Self.extract(runTextToolCallParser(pieces, setting: setting, model: item.model, tools: item.tools))
            }
            #expect(differing == nil, "\(item.testDescription) [\(setting)]")
        }
    }

    static func extract(_ outputs: [InterceptedText]) -> Extracted {
        var result = Extracted(calls: [], text: "")
        for output in outputs {
            switch output {
            case .text(let text): result.text += text
            case let .toolCall(name, arguments):
                result.calls.append(canonical(["name": JSONValue(name), "arguments": (try? JSONValue(parsing: arguments)) ?? JSONValue(arguments)]))
            }
        }
        return result
    }

    static func canonical(_ value: JSONValue) -> String {
        if let object = value.objectValue {
            return "{" + object.map { JSONValue($0.key).jsonText + ":" + canonical($0.value) }.sorted().joined(separator: ",") + "}"
        }
        if let array = value.arrayValue { return "[" + array.map(canonical).joined(separator: ",") + "]" }
        if let number = value.doubleValue, value.stringValue == nil, value.boolValue == nil { return "\(number)" }
        return value.jsonText
    }
}
