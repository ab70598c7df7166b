import AsyncIO
import CNghttp2

/// An nghttp2 client session and the streams it carries, as plain state: no sockets, no
/// tasks. `HTTP2Connection` keeps it under its lock and makes every call on it there, so
/// nghttp2's callbacks (they run inside `receive` and `drainOutput`) change it with that
/// lock held and never take a lock themselves. What the callbacks decide that must happen
/// outside the lock (resuming a parked consumer) goes into `wakeups`.
final class HTTP2Session {
    /// The nghttp2 session; nil once deleted.
    private var session: OpaquePointer?
    let configuration: HTTP2Configuration
    var streams: [Int32: HTTP2StreamState] = [:]
    /// Streams submitted and not yet closed by nghttp2: they count against the limit.
    private(set) var activeStreams = 0
    /// The server sent GOAWAY: streams it accepted finish, no new ones start here.
    private(set) var goingAway = false
    /// Why the connection can carry nothing more, once it cannot.
    private(set) var failure: HTTP2Error?
    /// Resumptions of parked tasks decided under the lock, run after it.
    var wakeups: [@Sendable () -> Void] = []
    /// A stream closed or the limit changed: a caller waiting for room may find some.
    var capacityChanged = false
    /// When bytes last arrived, and when the PING now unanswered was sent.
    var lastReceived: Deadline = .now
    var pingSentAt: Deadline?
    /// Since when no stream has been open (nil while one is).
    var idleSince: Deadline? = .now
    /// Frames of each type received, for tests and the fuzz target's invariants.
    private(set) var framesReceived: [UInt8: Int] = [:]

    init(configuration: HTTP2Configuration) throws(HTTP2Error) {
        self.configuration = configuration
        var callbacks: OpaquePointer?
        guard nghttp2_session_callbacks_new(&callbacks) == 0, let callbacks else {
            throw .connectionLost("cannot allocate nghttp2 callbacks")
        }
        defer { nghttp2_session_callbacks_del(callbacks) }
        HTTP2SessionCallbacks.install(on: callbacks)
        var options: OpaquePointer?
        guard nghttp2_option_new(&options) == 0, let options else {
            throw .connectionLost("cannot allocate nghttp2 options")
        }
        defer { nghttp2_option_del(options) }
        // Windows are given back as the consumer takes bytes, not as they arrive.
        nghttp2_option_set_no_auto_window_update(options, 1)
        // Until the server's SETTINGS say otherwise, RFC 9113 recommends assuming 100.
        nghttp2_option_set_peer_max_concurrent_streams(options, 100)
        var created: OpaquePointer?
        let result = nghttp2_session_client_new2(&created, callbacks, Unmanaged.passUnretained(self).toOpaque(), options)
        guard result == 0, let created else {
            throw .connectionLost("cannot create an nghttp2 session: \(Self.describe(result))")
        }
        session = created
        var settings = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_ENABLE_PUSH.rawValue), value: 0),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: UInt32(configuration.streamWindow)),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue), value: 0),
        ]
        _ = nghttp2_submit_settings(created, UInt8(NGHTTP2_FLAG_NONE.rawValue), &settings, settings.count)
        _ = nghttp2_session_set_local_window_size(created, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, Int32(configuration.connectionWindow))
    }

    deinit {
        if let session { nghttp2_session_del(session) }
    }

    static func describe(_ code: some BinaryInteger) -> String {
        String(cString: nghttp2_strerror(Int32(code)))
    }

    // MARK: - Capacity

    /// The streams the server allows at once, capped by the configuration.
    var streamLimit: Int {
        guard let session else { return 0 }
        let remote = Int(nghttp2_session_get_remote_settings(session, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS))
        return min(remote, configuration.maxConcurrentStreams)
    }

    /// Whether a new stream may start now.
    var hasRoom: Bool { isUsable && activeStreams < streamLimit }

    /// Whether new streams may start at all (not going away, not failed).
    var isUsable: Bool { failure == nil && !goingAway && session != nil }

    /// Nothing left to read or write: the session is over (after GOAWAY and its last stream,
    /// or after a fatal error).
    var isFinished: Bool {
        guard let session else { return true }
        return nghttp2_session_want_read(session) == 0 && nghttp2_session_want_write(session) == 0
    }

    // MARK: - Streams

    /// Submits `request` as a new stream; nil when there is no room.
    func start(_ request: HTTP2Request) -> Result<Int32, HTTP2Error>? {
        guard let session, hasRoom else { return nil }
        let fields = request.fields
        for (name, value) in fields where name.utf8.contains(where: { $0 == 0 || $0 == 10 || $0 == 13 }) || value.utf8.contains(where: { $0 == 0 || $0 == 10 || $0 == 13 }) {
            return .failure(.invalidRequest("header \(name.debugDescription) contains CR, LF or NUL"))
        }
        // One buffer for every name and value; nghttp2 copies them while submitting.
        var storage: [UInt8] = []
        var spans: [(name: Range<Int>, value: Range<Int>)] = []
        for (name, value) in fields {
            let nameStart = storage.count
            storage += name.utf8
            let valueStart = storage.count
            storage += value.utf8
            spans.append((nameStart..<valueStart, valueStart..<storage.count))
        }
        storage.append(0)
        let hasBody = !request.body.isEmpty
        let streamID: Int32 = storage.withUnsafeMutableBufferPointer { bytes in
            let base = bytes.baseAddress!
            var headers = spans.map { span in
                nghttp2_nv(
                    name: base + span.name.lowerBound, value: base + span.value.lowerBound,
                    namelen: span.name.count, valuelen: span.value.count, flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
            }
            if hasBody {
                var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: HTTP2SessionCallbacks.readRequestBody)
                return nghttp2_submit_request(session, nil, &headers, headers.count, &provider, nil)
            }
            return nghttp2_submit_request(session, nil, &headers, headers.count, nil, nil)
        }
        guard streamID > 0 else {
            return .failure(.invalidRequest("nghttp2 refused the request: \(Self.describe(streamID))"))
        }
        streams[streamID] = HTTP2StreamState(requestBody: request.body)
        activeStreams += 1
        return .success(streamID)
    }

    /// The consumer is done with `streamID`: resets it when the server has not finished it,
    /// and forgets it. Its unread bytes are dropped (their connection window was given back
    /// when they arrived).
    func finish(_ streamID: Int32) {
        guard let state = streams.removeValue(forKey: streamID) else { return }
        if let session, !state.closedInSession {
            _ = nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, NGHTTP2_CANCEL.rawValue)
        }
        if let waiter = state.headWaiter?.continuation { wakeups.append { waiter.resume(returning: .failure(.cancelled)) } }
        if let waiter = state.bodyWaiter?.continuation { wakeups.append { waiter.resume(returning: .failure(.cancelled)) } }
    }

    /// The head of `streamID` if it has arrived, its failure, or nil to wait.
    func head(of streamID: Int32) -> Result<HTTP2ResponseHead, HTTP2Error>? {
        guard let state = streams[streamID] else { return .failure(.cancelled) }
        if let head = state.head { return .success(head) }
        if let failure = state.failure { return .failure(failure) }
        if state.remoteEnded { return .failure(.connectionLost("the stream ended without a response head")) }
        return nil
    }

    /// The next body bytes of `streamID` (nil inside: the end), its failure, or nil to wait.
    /// Taking bytes gives their window back to the server.
    func takeChunk(of streamID: Int32) -> Result<ArraySlice<UInt8>?, HTTP2Error>? {
        guard var state = streams[streamID] else { return .failure(.cancelled) }
        if !state.chunks.isEmpty {
            let chunk = state.chunks.removeFirst()
            streams[streamID] = state
            if let session, !state.closedInSession {
                _ = nghttp2_session_consume_stream(session, streamID, chunk.count)
            }
            return .success(chunk)
        }
        if state.remoteEnded { return .success(nil) }
        if let failure = state.failure { return .failure(failure) }
        return nil
    }

    // MARK: - Bytes in and out

    /// Feeds bytes from the server; a protocol error fails the connection.
    func receive(_ bytes: UnsafeRawBufferPointer) {
        guard let session, failure == nil else { return }
        lastReceived = .now
        let result = nghttp2_session_mem_recv(session, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count)
        if result < 0 {
            fail(.connectionLost("HTTP/2 protocol error from the server: \(Self.describe(result))"))
        }
    }

    /// The frames nghttp2 has ready to send (empty when none; flow control may hold DATA back).
    func drainOutput(limit: Int = 256 * 1024) -> [UInt8] {
        guard let session else { return [] }
        var output: [UInt8] = []
        while output.count < limit {
            var data: UnsafePointer<UInt8>?
            let count = nghttp2_session_mem_send(session, &data)
            if count < 0 {
                fail(.connectionLost("nghttp2 cannot send: \(Self.describe(count))"))
                break
            }
            guard count > 0, let data else { break }
            output += UnsafeBufferPointer(start: data, count: count)
        }
        return output
    }

    /// Whether nghttp2 has frames to send.
    var wantsWrite: Bool {
        guard let session else { return false }
        return nghttp2_session_want_write(session) != 0
    }

    /// Queues a PING and notes when it was sent.
    func ping(now: Deadline) {
        guard let session, failure == nil, pingSentAt == nil else { return }
        if nghttp2_submit_ping(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), nil) == 0 { pingSentAt = now }
    }

    /// Ends the session politely: queues GOAWAY(NO_ERROR), after which nghttp2 neither reads
    /// nor starts anything (`isFinished` once it is sent).
    func terminate() {
        guard let session else { return }
        goingAway = true
        _ = nghttp2_session_terminate_session(session, NGHTTP2_NO_ERROR.rawValue)
    }

    /// The connection can carry nothing more: every stream not complete fails with `error`.
    func fail(_ error: HTTP2Error) {
        if failure == nil { failure = error }
        capacityChanged = true
        for id in streams.keys {
            var state = streams[id]!
            state.closedInSession = true
            if !state.remoteEnded, state.failure == nil { state.failure = error }
            streams[id] = state
            wake(id)
        }
    }

    /// Resumes the consumer parked on `streamID` if what it waits for is there.
    func wake(_ streamID: Int32) {
        guard var state = streams[streamID] else { return }
        if let waiter = state.headWaiter, let result = head(of: streamID) {
            state.headWaiter = nil
            streams[streamID] = state
            wakeups.append { waiter.continuation.resume(returning: result) }
        }
        if let waiter = streams[streamID]?.bodyWaiter, let result = takeChunk(of: streamID) {
            streams[streamID]?.bodyWaiter = nil
            wakeups.append { waiter.continuation.resume(returning: result) }
        }
    }

    /// Fails the waits whose deadline has passed.
    func expireWaits(now: Deadline) {
        for id in streams.keys {
            if let waiter = streams[id]?.headWaiter, waiter.deadline <= now {
                streams[id]?.headWaiter = nil
                wakeups.append { waiter.continuation.resume(returning: .failure(.timedOut)) }
            }
            if let waiter = streams[id]?.bodyWaiter, waiter.deadline <= now {
                streams[id]?.bodyWaiter = nil
                wakeups.append { waiter.continuation.resume(returning: .failure(.timedOut)) }
            }
        }
    }

    // MARK: - What the callbacks report

    func frameReceived(type: UInt8) {
        framesReceived[type, default: 0] += 1
    }

    func pingAcknowledged() {
        pingSentAt = nil
    }

    func goAwayReceived() {
        goingAway = true
        capacityChanged = true
    }

    func settingsReceived() {
        capacityChanged = true
    }

    func headerReceived(streamID: Int32, name: String, value: String) {
        guard var state = streams[streamID], state.head == nil else { return }
        if name == ":status" {
            state.status = Int(value)
        } else if !name.hasPrefix(":") {
            state.fields.append(HTTP2Field(name: name, value: value))
        }
        streams[streamID] = state
    }

    func headersEnded(streamID: Int32, endStream: Bool) {
        guard var state = streams[streamID] else { return }
        if state.head == nil, let status = state.status {
            if (100..<200).contains(status) {
                state.status = nil
                state.fields = []
            } else {
                state.head = HTTP2ResponseHead(status: status, headers: state.fields)
                state.fields = []
            }
        }
        if endStream { state.remoteEnded = true }
        streams[streamID] = state
        wake(streamID)
    }

    func dataReceived(streamID: Int32, _ bytes: UnsafeBufferPointer<UInt8>) {
        guard let session else { return }
        // The connection window is given back at once: a stream's bytes wait in the stream,
        // held by the stream's own window, so one slow consumer never blocks the others.
        _ = nghttp2_session_consume_connection(session, bytes.count)
        guard streams[streamID] != nil else {
            // The consumer left; its stream is being reset. Nothing holds these bytes.
            _ = nghttp2_session_consume_stream(session, streamID, bytes.count)
            return
        }
        streams[streamID]!.chunks.append(ArraySlice(bytes))
        wake(streamID)
    }

    func dataEnded(streamID: Int32) {
        guard streams[streamID] != nil else { return }
        streams[streamID]!.remoteEnded = true
        wake(streamID)
    }

    func streamClosed(streamID: Int32, errorCode: UInt32) {
        activeStreams = max(0, activeStreams - 1)
        capacityChanged = true
        guard var state = streams[streamID] else { return }
        state.closedInSession = true
        if !state.remoteEnded, state.failure == nil {
            state.failure = errorCode == NGHTTP2_REFUSED_STREAM.rawValue ? .refused : .reset(code: errorCode)
        }
        streams[streamID] = state
        wake(streamID)
    }

    /// Copies the next part of `streamID`'s request body into `buffer`; nil when the stream
    /// is gone (the consumer left).
    func readRequestBody(streamID: Int32, into buffer: UnsafeMutableBufferPointer<UInt8>) -> (count: Int, isLast: Bool)? {
        guard var state = streams[streamID] else { return nil }
        let count = min(buffer.count, state.requestBody.count - state.requestBodySent)
        state.requestBody.withUnsafeBufferPointer { body in
            for index in 0..<count { buffer[index] = body[state.requestBodySent + index] }
        }
        state.requestBodySent += count
        let isLast = state.requestBodySent == state.requestBody.count
        if isLast { state.requestBody = [] }
        streams[streamID] = state
        return (count, isLast)
    }
}
