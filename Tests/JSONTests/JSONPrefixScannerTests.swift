import JSON
import Testing

/// Every beginning of an object, cut to its safe point and completed, is a valid object.
@Suite struct JSONPrefixScannerTests {
    static let objects = [
        #"{"path": "/tmp/a", "n": -12.5e+3, "ok": true, "none": null, "list": [1, [2, {}], "x"], "deep": {"k": false}}"#,
        #"{"esc": "q\"\\\/\b\f\n\r\t \u00e9 \ud83d\ude00", "é👋": "日本"}"#,
        #"{ }"#, #"{"a":0,"b":0.5,"c":1E2,"d":[]}"#,
    ]

    @Test(arguments: objects)
    func everyPrefixCompletesToAnObject(object: String) throws {
        let bytes = Array(object.utf8)
        for cut in 0...bytes.count {
            var scanner = JSONPrefixScanner()
            scanner.feed(bytes[..<cut])
            #expect(scanner.isValid)
            guard scanner.safeCount > 0 else { continue }
            let completed = String(decoding: bytes[..<scanner.safeCount], as: UTF8.self) + scanner.closingSuffix
            let value = try? JSONValue(parsing: completed)
            #expect(value?.objectValue != nil, "cut \(cut): \(completed)")
        }
        var whole = JSONPrefixScanner()
        whole.feed(bytes)
        #expect(whole.safeCount == bytes.count && whole.closingSuffix == "")
    }

    @Test(arguments: [
        (#"{"a":1}} trailing"#, #"{"a":1}"#), (#"{"a":01}"#, #"{"a":0}"#), (#"{"a" 1}"#, #"{}"#),
        (#"{"a":"\x"}"#, #"{"a":""}"#), (#"{"a":"\ude00"}"#, #"{"a":""}"#), ("{\"a\":\"x\ny\"}", #"{"a":"x"}"#),
        (#"{"a":tru"#, #"{}"#), (#"{"a":[1,]}"#, #"{"a":[1]}"#), (#"[1]"#, ""), (#"'a'"#, ""),
    ])
    func invalidTextStopsAtItsLongestValidBeginning(text: String, completed: String) {
        var scanner = JSONPrefixScanner()
        scanner.feed(text.utf8)
        #expect(String(decoding: Array(text.utf8)[..<scanner.safeCount], as: UTF8.self) + scanner.closingSuffix == completed)
    }
}
