import HTTP2

/// Frames from the upstream: arbitrary bytes after the server's side of the preface, fed to
/// a client session carrying three streams (one read as it arrives, one never read, one
/// whose consumer leaves). No input may trap; no stream may hold more than its window of
/// unread bytes, however the server ignores flow control (memory stays bounded).
enum HTTP2Fuzzing {
    static let configuration: HTTP2Configuration = {
        var configuration = HTTP2Configuration()
        configuration.streamWindow = 16 * 1024
        configuration.connectionWindow = 64 * 1024
        return configuration
    }()

    static func framesFromUpstream(_ input: [UInt8]) {
        let (pieces, _) = input.splitForFuzzing()
        let replay: HTTP2FrameReplay
        do { replay = try HTTP2FrameReplay(configuration: configuration) } catch { fuzzFailure("cannot make a session: \(error)") }
        let request = HTTP2Request(method: "GET", scheme: "https", authority: "upstream", path: "/v1/chat/completions")
        var upload = request
        upload.method = "POST"
        upload.body = Array(repeating: 0x7B, count: 40_000)
        guard let read = replay.startStream(request), let unread = replay.startStream(upload), let leaving = replay.startStream(request) else {
            fuzzFailure("a new session refused a stream")
        }
        _ = replay.drainOutput()
        for (index, piece) in pieces.enumerated() {
            replay.receive(Array(piece))
            _ = replay.drainOutput()
            while case .success(let chunk?) = replay.takeChunk(of: read), !chunk.isEmpty {}
            if index == 0 { replay.finish(leaving) }
            for stream in [read, unread] where replay.bufferedBytes(of: stream) > configuration.streamWindow {
                fuzzFailure("stream \(stream) holds \(replay.bufferedBytes(of: stream)) unread bytes, over its window")
            }
            if replay.activeStreams < 0 || replay.activeStreams > 3 { fuzzFailure("\(replay.activeStreams) active streams") }
        }
        replay.finish(read)
        replay.finish(unread)
        _ = replay.drainOutput()
    }
}
