import Benchmark
import HTTP1
import JSON

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.throughput, .wallClock, .mallocCountTotal], maxDuration: .seconds(3))

    Benchmark("JSON parse 50 KB Claude Code request", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try JSONValue(parsing: SampleRequests.claudeCodeRequest))
        }
    }

    Benchmark("JSON write 50 KB Claude Code request", configuration: .init(scalingFactor: .kilo)) { benchmark in
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
}
