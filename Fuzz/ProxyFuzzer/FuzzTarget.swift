/// A named fuzz target: it runs one input and stops the process (through `fuzzFailure`)
/// when an invariant breaks, which libFuzzer records as a crash with the input that caused it.
struct FuzzTarget: Sendable {
    let name: String
    let run: @Sendable ([UInt8]) -> Void

    static let all: [FuzzTarget] = [
        FuzzTarget(name: "http-request", run: HTTPFuzzing.requestParser),
        FuzzTarget(name: "http-response", run: HTTPFuzzing.responseParser),
        FuzzTarget(name: "chunked", run: HTTPFuzzing.chunkedBody),
        FuzzTarget(name: "sse", run: HTTPFuzzing.sseDecoder),
        FuzzTarget(name: "json-strict", run: JSONFuzzing.strict),
        FuzzTarget(name: "json-lenient", run: JSONFuzzing.lenient),
        FuzzTarget(name: "request-translator", run: TranslationFuzzing.requestTranslator),
        FuzzTarget(name: "request-limits", run: RequestLimitsFuzzing.requestWithLimits),
        FuzzTarget(name: "stream-translator", run: StreamFuzzing.streamTranslator),
        FuzzTarget(name: "tool-calls", run: ToolCallFuzzing.textToolCalls),
        FuzzTarget(name: "h2-frames", run: HTTP2Fuzzing.framesFromUpstream),
    ]
}

/// An invariant broke: trap so libFuzzer saves the input.
func fuzzFailure(_ message: String) -> Never {
    fatalError("fuzz invariant: \(message)")
}

/// Reads decisions from the front of a fuzz input, then hands over the rest.
struct FuzzInput {
    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isEmpty: Bool { position >= bytes.count }

    /// The next byte, 0 once the input is used up.
    mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    /// A value in 0..<bound.
    mutating func choose(_ bound: Int) -> Int { bound <= 1 ? 0 : Int(byte()) % bound }

    /// Up to `maxCount` raw bytes.
    mutating func take(_ maxCount: Int) -> ArraySlice<UInt8> {
        let end = min(bytes.count, position + maxCount)
        defer { position = end }
        return bytes[position..<end]
    }

    /// Everything not read yet.
    mutating func rest() -> ArraySlice<UInt8> { take(bytes.count) }
}

extension Array where Element == UInt8 {
    /// The input cut into pieces at the positions the first bytes name (for "the same result
    /// however the bytes arrive" checks). The first byte says how many cuts.
    func splitForFuzzing() -> (pieces: [ArraySlice<UInt8>], payload: ArraySlice<UInt8>) {
        var input = FuzzInput(self)
        let cuts = input.choose(8)
        var offsets: [Int] = []
        for _ in 0..<cuts { offsets.append(Int(input.byte())) }
        let payload = input.rest()
        var pieces: [ArraySlice<UInt8>] = []
        var start = payload.startIndex
        for offset in offsets.sorted() {
            let cut = Swift.min(payload.endIndex, payload.startIndex + offset * Swift.max(1, payload.count / 256))
            guard cut > start else { continue }
            pieces.append(payload[start..<cut])
            start = cut
        }
        pieces.append(payload[start...])
        return (pieces, payload)
    }
}
