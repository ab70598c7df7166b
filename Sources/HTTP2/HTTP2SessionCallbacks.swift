import CNghttp2

/// nghttp2's callbacks: C functions that find their `HTTP2Session` through the session's
/// user data and report to it. They run only inside `nghttp2_session_mem_recv` and
/// `nghttp2_session_mem_send`, which `HTTP2Session` calls under its connection's lock.
enum HTTP2SessionCallbacks {
    static func install(on callbacks: OpaquePointer) {
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, onFrameReceived)
        nghttp2_session_callbacks_set_on_header_callback(callbacks, onHeader)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, onDataChunk)
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, onStreamClosed)
    }

    private static func session(_ userData: UnsafeMutableRawPointer?) -> HTTP2Session {
        Unmanaged<HTTP2Session>.fromOpaque(userData!).takeUnretainedValue()
    }

    private static let onFrameReceived: nghttp2_on_frame_recv_callback = { _, frame, userData in
        guard let frame else { return 0 }
        let session = session(userData)
        let header = frame.pointee.hd
        session.frameReceived(type: header.type)
        let endStream = header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
        switch UInt32(header.type) {
        case NGHTTP2_HEADERS.rawValue:
            session.headersEnded(streamID: header.stream_id, endStream: endStream)
        case NGHTTP2_DATA.rawValue:
            if endStream { session.dataEnded(streamID: header.stream_id) }
        case NGHTTP2_PING.rawValue:
            if header.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) != 0 { session.pingAcknowledged() }
        case NGHTTP2_GOAWAY.rawValue:
            session.goAwayReceived()
        case NGHTTP2_SETTINGS.rawValue:
            session.settingsReceived()
        default:
            break
        }
        return 0
    }

    private static let onHeader: nghttp2_on_header_callback = { _, frame, name, nameLength, value, valueLength, _, userData in
        guard let frame, let name, let value else { return 0 }
        session(userData).headerReceived(
            streamID: frame.pointee.hd.stream_id,
            name: String(decoding: UnsafeBufferPointer(start: name, count: nameLength), as: UTF8.self),
            value: String(decoding: UnsafeBufferPointer(start: value, count: valueLength), as: UTF8.self)
        )
        return 0
    }

    private static let onDataChunk: nghttp2_on_data_chunk_recv_callback = { _, _, streamID, data, length, userData in
        guard let data else { return 0 }
        session(userData).dataReceived(streamID: streamID, UnsafeBufferPointer(start: data, count: length))
        return 0
    }

    private static let onStreamClosed: nghttp2_on_stream_close_callback = { _, streamID, errorCode, userData in
        session(userData).streamClosed(streamID: streamID, errorCode: errorCode)
        return 0
    }

    /// The request body's data source: copies from the stream's body, EOF with its last byte.
    static let readRequestBody: nghttp2_data_source_read_callback = { _, streamID, buffer, length, flags, _, userData in
        guard let buffer, let flags else { return Int(NGHTTP2_ERR_CALLBACK_FAILURE.rawValue) }
        guard let (count, isLast) = session(userData).readRequestBody(streamID: streamID, into: UnsafeMutableBufferPointer(start: buffer, count: length)) else {
            // The consumer left: nghttp2 resets the stream.
            return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
        }
        if isLast { flags.pointee |= UInt32(NGHTTP2_DATA_FLAG_EOF.rawValue) }
        return count
    }
}
