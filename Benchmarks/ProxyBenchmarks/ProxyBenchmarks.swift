import Benchmark
import HTTP1
import JSON
import Translation

/// Upstream SSE bytes through the SSE decoder, the chunk reader, the stream translator and the
/// event encoder, as the proxy's stream relay does (one reused event buffer, chunks read
/// without a JSON tree).
@inline(never)
func translateStream(_ bytes: [UInt8], textToolCalls: TextToolCallParser? = nil) -> [UInt8] {
    var decoder = SSEDecoder()
    var translator = StreamTranslator(context: .init(messageID: "msg_bench", model: "claude", estimatedInputTokens: 10, textToolCalls: textToolCalls))
    var output: [UInt8] = []
    var events: [AnthropicStreamEvent] = []
    for event in translator.start() { event.encode(into: &output) }
    decoder.feed(bytes)
    while let event = decoder.next() {
        guard event.data != SampleRequests.done, let chunk = try? StreamChunk(parsing: event.data) else { continue }
        translator.consume(chunk, into: &events)
        for translated in events { translated.encode(into: &output) }
        events.removeAll(keepingCapacity: true)
    }
    for event in translator.finish() { event.encode(into: &output) }
    return output
}

/// Names carry no spaces: the benchmark tool writes threshold files with spaces replaced but
/// looks them up with the spaces kept.
let benchmarks: @Sendable () -> Void = {
    // Thresholds (`Benchmarks/Thresholds`, checked by scripts/bench-check): allocation counts
    // do not move between runs, so they are held within 2 %; time on a shared machine varies
    // several-fold under other load, so it only catches a benchmark four times slower.
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        maxDuration: .seconds(3),
        thresholds: [
            .wallClock: BenchmarkThresholds(relative: [.p90: 300.0]),
            .throughput: .none,
            .mallocCountTotal: BenchmarkThresholds(relative: [.p90: 2.0]),
        ]
    )

    Benchmark("JSON-parse-Claude-Code-request-\(SampleRequests.claudeCodeRequest.count)-bytes", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try JSONValue(parsing: SampleRequests.claudeCodeRequest))
        }
    }

    Benchmark("JSON-write-Claude-Code-request-\(SampleRequests.claudeCodeRequest.count)-bytes", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let value = try JSONValue(parsing: SampleRequests.claudeCodeRequest)
        for _ in benchmark.scaledIterations {
            blackHole(value.serialized())
        }
    }

    // The request path after parsing: Anthropic -> OpenAI translation and the upstream body,
    // as UpstreamRequestBuilder writes it (into a buffer reserved from the client body's size).
    Benchmark("Request-translation-Claude-Code-request-\(SampleRequests.claudeCodeRequest.count)-bytes", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let body = try JSONValue(parsing: SampleRequests.claudeCodeRequest)
        let size = SampleRequests.claudeCodeRequest.count
        var options = TranslationOptions()
        options.resolveModel = { _ in "zai-org/GLM-4.6" }
        for _ in benchmark.scaledIterations {
            let (upstream, _) = try RequestTranslator.translate(body, options: options)
            blackHole(upstream.serialized(reservingCapacity: size + size / 8 + 256))
        }
    }

    Benchmark("HTTP-request-parse-head-and-small-body", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for _ in benchmark.scaledIterations {
            var parser = HTTPRequestParser()
            parser.feed(SampleRequests.httpRequest)
            while let event = try parser.next() {
                blackHole(event)
                if event == .end { break }
            }
        }
    }

    Benchmark("Text-tool-call-parser-auto-52KB-prose-in-24-byte-deltas", configuration: .init(scalingFactor: .one)) { benchmark in
        let sentence = "The function returns early when the list is empty; otherwise it walks the <b>nodes</b> in order, checking each [index] and {key}. "
        let utf8 = Array(String(repeating: sentence, count: 400).utf8)
        let pieces = stride(from: 0, to: utf8.count, by: 24).map { String(decoding: utf8[$0..<min($0 + 24, utf8.count)], as: UTF8.self) }
        let tools: [(name: String, inputSchema: JSONValue)] = [("Bash", ["type": "object"])]
        for _ in benchmark.scaledIterations {
            var parser = makeTextToolCallParser(setting: "auto", model: "some-model", tools: tools)!
            for piece in pieces { blackHole(parser.feed(piece)) }
            blackHole(parser.finish())
        }
    }

    Benchmark("Stream-translation-1000-text-chunks", configuration: .init(scalingFactor: .one)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(translateStream(SampleRequests.upstreamChunks))
        }
    }

    Benchmark("Stream-translation-tool-call-1000-argument-chunks", configuration: .init(scalingFactor: .one)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(translateStream(SampleRequests.toolCallChunks))
        }
    }

    Benchmark("Stream-translation-1000-reasoning-then-100-text-chunks", configuration: .init(scalingFactor: .one)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(translateStream(SampleRequests.reasoningChunks))
        }
    }

    // Work proportional to the text (the parser once read an open region again on every
    // delta: 86 s of CPU for 25,000 of them): a call written as text in 25,000 deltas.
    Benchmark("Stream-translation-Hermes-call-in-25000-deltas", configuration: .init(scalingFactor: .one)) { benchmark in
        let tools: [(name: String, inputSchema: JSONValue)] = [("Bash", ["type": "object", "properties": ["command": ["type": "string"]]])]
        for _ in benchmark.scaledIterations {
            blackHole(translateStream(SampleRequests.hermesCallInDeltas, textToolCalls: makeTextToolCallParser(setting: "auto", model: "Qwen/Qwen3-235B", tools: tools)))
        }
    }

    // A whole answer of 878 KB of code fences, read for calls written as text (each fence
    // once copied the rest of the answer: 16 s of CPU).
    Benchmark("Response-translation-878KB-of-code-fences", configuration: .init(scalingFactor: .one)) { benchmark in
        let (_, context) = try RequestTranslator.translate(SampleRequests.requestWithATool, options: TranslationOptions())
        for _ in benchmark.scaledIterations {
            let parser = makeTextToolCallParser(setting: "auto", model: context.upstreamModel, tools: context.tools)
            blackHole(ResponseTranslator.translate(SampleRequests.codeFenceAnswer, context: context, messageID: "msg_bench", textToolCalls: parser))
        }
    }
}
