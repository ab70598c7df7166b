import Testing

/// Checks that `run` gives `expected` for `text` fed whole and cut in two at every Unicode
/// scalar boundary: the finest cut a stream can make, since each upstream delta is a decoded
/// JSON string. Records the first failing cut only.
func expectSameForEverySplit<Result: Equatable>(
    _ text: String, _ expected: Result, _ label: String = "", sourceLocation: SourceLocation = #_sourceLocation, run: ([String]) -> Result
) {
    let whole = run([text])
    #expect(whole == expected, "\(label) whole", sourceLocation: sourceLocation)
    let scalars = Array(text.unicodeScalars)
    for split in 1..<max(scalars.count, 1) {
        var head = String.UnicodeScalarView(), tail = String.UnicodeScalarView()
        head.append(contentsOf: scalars[..<split])
        tail.append(contentsOf: scalars[split...])
        let result = run([String(head), String(tail)])
        if result != expected {
            Issue.record("\(label) split at scalar \(split): \(result)", sourceLocation: sourceLocation)
            return
        }
    }
}
