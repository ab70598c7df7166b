import AsyncIO
import HTTP1
import Translation

/// Serialises writes to one response stream from the relay and the ping timer: one write at
/// a time (an actor alone would interleave them at their suspension points), and nothing
/// after the final one.
actor SerialStreamWriter {
    private let writer: HTTPBodyWriter
    private var lastWrite = Deadline.now
    private var writing = false
    private var waiting: [CheckedContinuation<Void, Never>] = []
    private var ended = false

    init(_ writer: HTTPBodyWriter) { self.writer = writer }

    /// Writes `bytes`; `final` marks the end of the stream, after which other writes are dropped.
    func write(_ bytes: [UInt8], final: Bool = false) async throws {
        if final { ended = true }
        guard !bytes.isEmpty, !ended || final else { return }
        while writing { await withCheckedContinuation { waiting.append($0) } }
        writing = true
        defer {
            writing = false
            if !waiting.isEmpty { waiting.removeFirst().resume() }
        }
        guard !ended || final else { return }
        lastWrite = .now
        try await writer.write(bytes)
    }

    func pingIfSilent(for interval: Duration) async throws {
        guard !ended, lastWrite.adding(interval) <= .now.adding(.milliseconds(50)) else { return }
        var bytes: [UInt8] = []
        AnthropicStreamEvent.ping.encode(into: &bytes)
        try await write(bytes)
    }
}
