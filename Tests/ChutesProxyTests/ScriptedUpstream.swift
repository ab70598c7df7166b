import AsyncIO
import HTTP1
import JSON
import Locking
import Logging
import TestSupport
import Translation

@testable import ChutesProxy

/// An OpenAI-compatible upstream on loopback whose answers a test scripts, recording what
/// the proxy sent it.
final class ScriptedUpstream: StoppableServer {
    struct Received: Sendable {
        var method: String
        var path: String
        var headers: HTTPHeaders
        var body: JSONValue?
    }

    typealias Script = @Sendable (HTTPRequest, Int) async -> HTTPResponse

    private let server: HTTPServer
    private let task: Task<Void, Never>
    private let log = ReceivedLog()

    /// `tls`: serve HTTPS with this context (the proxy then needs `CHUTES_CA_FILE`).
    init(tls: TLSContext? = nil, _ script: @escaping Script) throws {
        let log = self.log
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.tls = tls
        scheme = tls == nil ? "http" : "https"
        server = try HTTPServer(
            configuration: configuration,
            responder: ClosureResponder { request in
                let index = log.entries.withLock { entries in
                    entries.append(Received(method: request.method.rawValue, path: request.head.target, headers: request.headers, body: try? JSONValue(parsing: request.body)))
                    return entries.count - 1
                }
                return await script(request, index)
            })
        let server = self.server
        task = Task { await server.run() }
    }

    private let scheme: String
    var baseURL: String { "\(scheme)://localhost:\(server.localAddress.port)" }
    var received: [Received] { log.entries.withLock { $0 } }
    var completionRequests: [Received] { received.filter { $0.path.hasSuffix("/chat/completions") } }

    func stop() async {
        server.shutdown()
        await task.value
    }

    static func json(_ value: JSONValue, status: HTTPStatus = .ok, headers: HTTPHeaders = [:]) -> HTTPResponse {
        var response = HTTPResponse(status: status, contentType: "application/json", body: value.serialized())
        for header in headers { response.headers.add(name: header.name, value: header.value) }
        return response
    }

    static func completion(_ message: JSONValue, finish: String = "stop", usage: JSONValue = ["prompt_tokens": 12, "completion_tokens": 3]) -> HTTPResponse {
        json(["id": "cmpl", "object": "chat.completion", "choices": [["index": 0, "message": message, "finish_reason": JSONValue(finish)]], "usage": usage])
    }

    /// An SSE stream of the given chunks, then `[DONE]`.
    static func stream(_ chunks: [JSONValue], done: Bool = true) -> HTTPResponse {
        HTTPResponse(
            status: 200, headers: ["Content-Type": "text/event-stream"],
            body: .stream { writer in
                for chunk in chunks { try await writer.write(Array("data: ".utf8) + chunk.serialized() + Array("\n\n".utf8)) }
                if done { try await writer.write(Array("data: [DONE]\n\n".utf8)) }
            })
    }

    /// A stream that sends `chunks`, then fails the way Chutes does when its engine crashes:
    /// a bare JSON line without `data:`, and the end of the body.
    static func streamFailingLikeChutes(_ chunks: [JSONValue], line: String = #"{"error": "Unhandled exception during response stream: CUDA error: an illegal memory access was encountered"}"#)
        -> HTTPResponse
    {
        HTTPResponse(
            status: 200, headers: ["Content-Type": "text/event-stream"],
            body: .stream { writer in
                for chunk in chunks { try await writer.write(Array("data: ".utf8) + chunk.serialized() + Array("\n\n".utf8)) }
                try await writer.write(Array((line + "\n").utf8))
            })
    }

    /// Chutes' error shape, `{"detail": ...}`.
    static func chutesError(_ status: HTTPStatus, _ detail: JSONValue, headers: HTTPHeaders = [:]) -> HTTPResponse {
        json(["detail": detail], status: status, headers: headers)
    }

    /// A model list as Chutes serves it: limits, engine, input kinds.
    static let chutesModels: JSONValue = [
        "object": "list",
        "data": [
            [
                "id": "zai-org/GLM-4.6", "object": "model", "owned_by": "sglang", "context_length": 202_752, "max_model_len": 202_752, "max_output_length": 65_536,
                "input_modalities": ["text"], "supported_features": ["json_mode", "tools", "reasoning"],
            ],
            [
                "id": "deepseek-ai/DeepSeek-V3.1", "object": "model", "owned_by": "vllm", "context_length": 163_840, "max_model_len": 163_840, "max_output_length": 8192,
                "input_modalities": ["text"], "supported_features": ["json_mode", "tools", "reasoning"],
            ],
            [
                "id": "small/Tiny-8K", "object": "model", "owned_by": "vllm", "context_length": 8192, "max_model_len": 8192, "max_output_length": 4096,
                "input_modalities": ["text"], "supported_features": [],
            ],
            [
                "id": "Qwen/Qwen2.5-VL-32B-Instruct", "object": "model", "owned_by": "vllm", "context_length": 32768, "max_output_length": 8192,
                "input_modalities": ["text", "image"], "supported_features": ["tools"],
            ],
        ],
    ]

    static let models: JSONValue = [
        "object": "list",
        "data": [
            ["id": "deepseek-ai/DeepSeek-V3", "object": "model", "created": 1_700_000_000],
            ["id": "Qwen/Qwen3-Coder-480B-A35B-Instruct", "object": "model", "created": 1_700_000_100],
        ],
    ]
}

final class ReceivedLog: Sendable {
    let entries = Mutex<[ScriptedUpstream.Received]>([])
}

/// The proxy under test, on a free loopback port, talking to a scripted upstream.
struct RunningProxy: StoppableServer {
    let proxy: ProxyServer
    let task: Task<Void, Never>
    let client: HTTPClient

    init(upstream: ScriptedUpstream, environment: [String: String] = [:], logger: Logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }) throws {
        try self.init(baseURL: upstream.baseURL, environment: environment, logger: logger)
    }

    init(baseURL: String, environment: [String: String] = [:], logger: Logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }) throws {
        var environment = environment
        environment["CHUTES_BASE_URL"] = baseURL
        try self.init(configuration: try ProxyConfiguration(environment: environment), logger: logger)
    }

    /// The proxy with `configuration` (its host and port replaced by a free loopback port)
    /// and an embedder's `routes`.
    init(configuration: ProxyConfiguration, routes: [ProxyRoute] = [], logger: Logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }) throws {
        var configuration = configuration
        configuration.host = "127.0.0.1"
        configuration.port = 0
        proxy = try ProxyServer(configuration: configuration, routes: routes, logger: logger)
        let proxy = self.proxy
        task = Task { await proxy.run() }
        client = try HTTPClient()
    }

    /// Drains and stops the proxy and waits until `run()` has returned. Twice `shutdown()`:
    /// the second call skips a configured `SHUTDOWN_DELAY`.
    func stop() async {
        proxy.shutdown()
        proxy.shutdown()
        await task.value
    }

    /// Posts `body` to `path` and returns status, headers and the whole body.
    func post(_ path: String, _ body: JSONValue, headers: HTTPHeaders = ["x-api-key": "sk-client-key-123"]) async throws -> (status: HTTPStatus, headers: HTTPHeaders, body: [UInt8]) {
        try await send("POST", path, body: body.serialized(), headers: headers)
    }

    func send(_ method: HTTPMethod, _ path: String, body: [UInt8] = [], headers: HTTPHeaders = ["x-api-key": "sk-client-key-123"]) async throws -> (
        status: HTTPStatus, headers: HTTPHeaders, body: [UInt8]
    ) {
        var headers = headers
        if !body.isEmpty { headers.add(name: "Content-Type", value: "application/json") }
        let url = HTTPURL("http://127.0.0.1:\(proxy.port)\(path)")!
        let response = try await client.execute(HTTPClientRequest(method: method, url: url, headers: headers, body: body))
        return (response.status, response.headers, try await response.body.collect(upTo: 64 << 20))
    }

    /// Sends `text` as it is over a fresh connection and returns all the proxy answers until
    /// it closes the connection (the request should ask it to).
    func sendRaw(_ text: String) async throws -> String {
        let client = try await RawClient.connect(port: proxy.port)
        defer { client.connection.close() }
        try await client.send(text)
        return String(decoding: try await client.readToEnd(), as: UTF8.self)
    }

    /// Decodes an Anthropic SSE body into events.
    static func events(_ body: [UInt8]) throws -> [AnthropicStreamEvent] {
        try decodeSSE([body]).map { AnthropicStreamEvent(type: $0.event ?? "", payload: try JSONValue(parsing: $0.data)) }
    }
}

/// Sends one request over a fresh connection to `port` and reads the whole response, its
/// body parsed as JSON.
func exchange(_ request: String, port: Int) async throws -> (status: HTTPStatus, headers: HTTPHeaders, body: JSONValue?) {
    let client = try await RawClient.connect(port: port)
    defer { client.connection.close() }
    try await client.send(request)
    guard let response = try await client.response(toHEAD: request.hasPrefix("HEAD")) else { throw IOError.closed }
    return (response.head.status, response.head.headers, response.body.isEmpty ? nil : try JSONValue(parsing: response.body))
}

func chunk(_ delta: JSONValue, finish: String? = nil) -> JSONValue {
    ["id": "c", "object": "chat.completion.chunk", "choices": [["index": 0, "delta": delta, "finish_reason": finish.map { JSONValue($0) } ?? nil]]]
}

/// Runs `body` against a scripted upstream on loopback, then stops the upstream, also when
/// `body` throws (a failed `#require`), so no test leaves a server running.
func withScriptedUpstream<Result>(
    tls: TLSContext? = nil,
    _ script: @escaping ScriptedUpstream.Script,
    run body: (ScriptedUpstream) async throws -> Result
) async throws -> Result {
    try await withStopping(try ScriptedUpstream(tls: tls, script), body)
}

/// Runs `body` against the proxy on a free loopback port in front of `upstream`, then stops
/// the proxy, also when `body` throws.
func withRunningProxy<Result>(
    upstream: ScriptedUpstream,
    environment: [String: String] = [:],
    logger: Logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
    _ body: (RunningProxy) async throws -> Result
) async throws -> Result {
    try await withStopping(try RunningProxy(upstream: upstream, environment: environment, logger: logger), body)
}

/// `withRunningProxy` in front of an upstream at `baseURL` that is not a `ScriptedUpstream`.
func withRunningProxy<Result>(
    baseURL: String,
    environment: [String: String] = [:],
    logger: Logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
    _ body: (RunningProxy) async throws -> Result
) async throws -> Result {
    try await withStopping(try RunningProxy(baseURL: baseURL, environment: environment, logger: logger), body)
}

/// `withRunningProxy` with a whole configuration (TLS, drain delay, no upstream at all) and an
/// embedder's `routes`.
func withRunningProxy<Result>(
    configuration: ProxyConfiguration,
    routes: [ProxyRoute] = [],
    _ body: (RunningProxy) async throws -> Result
) async throws -> Result {
    try await withStopping(try RunningProxy(configuration: configuration, routes: routes), body)
}
