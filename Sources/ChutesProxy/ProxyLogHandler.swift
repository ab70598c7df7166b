import Glibc
import JSON
import Logging

/// How log lines look: one JSON object per line, or `time level message key=value ...`.
public enum LogFormat: String, Sendable, CaseIterable {
    case json, text
}

/// A swift-log handler writing one line per event, as JSON lines or as text, to a `LogSink`.
///
/// JSON lines hold `time` (RFC 3339, UTC, milliseconds), `level`, `message` and then the
/// metadata keys in sorted order; numbers and booleans given as metadata stay numbers and
/// booleans. Text lines escape control characters in the message and the values, so no line
/// can forge another. Nothing is scrubbed here: what must not be logged (keys,
/// `Authorization`) is never passed in, and upstream text comes scrubbed (`UpstreamErrors`).
public struct ProxyLogHandler: LogHandler {
    /// Lines below this level are not written.
    public var logLevel: Logger.Level
    /// Metadata added to every line.
    public var metadata: Logger.Metadata = [:]
    /// JSON lines or text (`LOG_FORMAT`).
    public let format: LogFormat
    private let sink: any LogSink

    /// A handler writing `format` lines at `level` and above to `sink`.
    public init(format: LogFormat, level: Logger.Level, sink: any LogSink = LogWriter.standardError) {
        self.format = format
        self.logLevel = level
        self.sink = sink
    }

    /// One metadata value added to every line.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Renders the event as one line and hands it to the sink.
    public func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { $1 } }
        switch format {
        case .json:
            var line = JSONLogLine(level: event.level, message: event.message.description)
            for key in fields.keys.sorted() { line.add(key, Self.json(fields[key]!)) }
            sink.write(line.finished())
        case .text:
            var line: [UInt8] = []
            line.reserveCapacity(256)
            line += Self.timestamp().utf8
            line.append(UInt8(ascii: " "))
            line += event.level.rawValue.utf8
            line.append(UInt8(ascii: " "))
            // The message may quote an upstream's words: one line it stays.
            line += event.message.description.controlCharactersEscaped.utf8
            for key in fields.keys.sorted() {
                line.append(UInt8(ascii: " "))
                line += key.utf8
                line.append(UInt8(ascii: "="))
                line += Self.text(fields[key]!).utf8
            }
            line += "\n".utf8
            sink.write(line)
        }
    }

    /// Writes a JSON line built field by field (the access line); the caller has checked
    /// `takesJSONLines`.
    func write(_ line: consuming JSONLogLine) {
        sink.write(line.finished())
    }

    /// Whether a `JSONLogLine` written with `write(_:)` comes out as `log(event:)` would write
    /// it: JSON lines, and no metadata of the handler's own to merge in.
    var takesJSONLines: Bool { format == .json && metadata.isEmpty }

    /// Metadata as JSON: whole numbers, decimals and booleans keep their type.
    static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let text): return JSONValue(text)
        case .stringConvertible(let value):
            switch value {
            case let number as Int: return JSONValue(number)
            case let flag as Bool: return JSONValue(flag)
            case let number as Double where number.isFinite: return JSONValue(number)
            default: return JSONValue(value.description)
            }
        case .array(let values): return .array(values.map(json))
        case .dictionary(let values):
            var object = JSONObject()
            for key in values.keys.sorted() { object[key] = json(values[key]!) }
            return .object(object)
        }
    }

    /// Metadata as text: line breaks and other control characters escaped (values may come
    /// from clients, and must not forge a line), quoted when it has spaces, quotes or `=`.
    static func text(_ value: Logger.Metadata.Value) -> String {
        let plain: String
        switch value {
        case .string(let text): plain = text
        case .stringConvertible(let value): plain = value.description
        case .array, .dictionary: plain = json(value).jsonText
        }
        let safe = plain.escapedForLog
        let needsQuotes = safe.isEmpty || safe.contains { $0 == " " || $0 == "\"" || $0 == "=" }
        return needsQuotes ? "\"" + safe.replacing("\"", with: "\\\"") + "\"" : safe
    }

    /// Now, as `2026-11-25T15:40:02.123Z`.
    static func timestamp() -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        JSONLogLine.appendTimestamp(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
