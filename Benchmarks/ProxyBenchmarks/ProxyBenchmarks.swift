import Benchmark
import HTTP1
import JSON
import Translation

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.throughput, .wallClock, .mallocCountTotal], maxDuration: .seconds(3))

    Benchmark("JSON parse Claude Code request (\(SampleRequests.claudeCodeRequest.count) bytes)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try JSONValue(parsing: SampleRequests.claudeCodeRequest))
        }
    }

    Benchmark("JSON write Claude Code request (\(SampleRequests.claudeCodeRequest.count) bytes)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let value = try JSONValue(parsing: SampleRequests.claudeCodeRequest)
        for _ in benchmark.scaledIterations {
            blackHole(value.serialized())
        }
    }

    Benchmark("HTTP request parse (head + small body)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for _ in benchmark.scaledIterations {
            var parser = HTTPRequestParser()
            parser.feed(SampleRequests.httpRequest)
            while let event = try parser.next() {
                blackHole(event)
                if event == .end { break }
            }
        }
    }

    Benchmark("Text tool-call parser, auto: 52 KB of prose without markup in 24-byte deltas", configuration: .init(scalingFactor: .one)) { benchmark in
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

    Benchmark("Stream translation: 1,000 upstream chunks (decode JSON, translate, encode)", configuration: .init(scalingFactor: .one)) { benchmark in
        let chunks = SampleRequests.upstreamChunks
        for _ in benchmark.scaledIterations {
            var decoder = SSEDecoder()
            var translator = StreamTranslator(context: .init(messageID: "msg_bench", model: "claude", estimatedInputTokens: 10))
            var output: [UInt8] = []
            for event in translator.start() { event.encode(into: &output) }
            decoder.feed(chunks)
            while let event = decoder.next() {
                guard event.data != Array("[DONE]".utf8), let chunk = try? JSONValue(parsing: event.data) else { continue }
                for translated in translator.consume(chunk) { translated.encode(into: &output) }
            }
            for event in translator.finish() { event.encode(into: &output) }
            blackHole(output)
        }
    }
}
