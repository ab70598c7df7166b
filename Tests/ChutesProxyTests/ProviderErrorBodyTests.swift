import HTTP1
import Testing

@testable import ChutesProxy

/// Each provider's own error body becomes an Anthropic error carrying the provider's words
/// (issue 25; the same bodies Tests/e2e/provider_upstreams.py answers with).
@Suite struct ProviderErrorBodyTests {
    static let cases: [(provider: String, status: HTTPStatus, body: String, mapped: HTTPStatus, words: String)] = [
        // api-docs.deepseek.com, "Error Codes": 401 Authentication Fails, 402 Insufficient Balance,
        // 422 Invalid Parameters, 503 Server Overloaded; the body as OpenAI's.
        (
            "deepseek", 401, #"{"error":{"message":"Authentication Fails, Your api key: ****abcd is invalid","type":"authentication_error","param":null,"code":"invalid_request_error"}}"#,
            401, "Authentication Fails"
        ),
        ("deepseek", 402, #"{"error":{"message":"Insufficient Balance","type":"unknown_error","param":null,"code":"invalid_request_error"}}"#, 402, "Insufficient Balance"),
        (
            "deepseek", 400,
            #"{"error":{"message":"The `reasoning_content` in the thinking mode must be passed back to the API.","type":"invalid_request_error","param":null,"code":"invalid_request_error"}}"#,
            400, "must be passed back"
        ),
        ("deepseek", 503, #"{"error":{"message":"Server overloaded, please try again later.","type":"server_error","param":null,"code":"server_error"}}"#, .overloaded, "Server overloaded"),
        // openrouter.ai/docs, "Errors": {"error": {"code", "message", "metadata"}}.
        ("openrouter", 402, #"{"error":{"code":402,"message":"Insufficient credits. Add more using https://openrouter.ai/settings/credits","metadata":{}}}"#, 402, "Insufficient credits"),
        ("openrouter", 401, #"{"error":{"message":"No auth credentials found","code":401}}"#, 401, "No auth credentials found"),
        // Ollama's OpenAI endpoint: an OpenAI-shaped error.
        ("ollama", 404, #"{"error":{"message":"model \"llama3.2:3b\" not found, try pulling it first","type":"api_error","param":null,"code":null}}"#, 404, #"model "llama3.2:3b" not found"#),
        // vLLM with --api-key: a bare string.
        ("vllm", 401, #"{"error":"Unauthorized"}"#, 401, "Unauthorized"),
    ]

    @Test(arguments: cases.indices)
    func theProvidersWordsReachTheClient(index: Int) {
        let entry = Self.cases[index]
        let error = UpstreamErrors.fromResponse(status: entry.status, body: Array(entry.body.utf8), estimatedPromptTokens: 0, redactor: SecretRedactor(secrets: []))
        #expect(error.status == entry.mapped, "\(entry.provider)")
        #expect(error.message.contains(entry.words), "\(entry.provider): \(error.message)")
    }

    /// vLLM's context-length 400 (its `OpenAIServingChat` wording) and DeepSeek's are the
    /// "prompt is too long" error Claude Code compacts on.
    @Test(arguments: [
        #"{"error":{"message":"This model's maximum context length is 32768 tokens. However, you requested 40000 tokens (8000 in the messages, 32000 in the completion). Please reduce the length of the messages or completion.","type":"BadRequestError","param":null,"code":400}}"#,
        #"{"error":{"message":"This model's maximum context length is 32768 tokens. However, you requested 40000 tokens (8000 in the messages, 32000 in the completion). Please reduce the length of the messages or completion.","type":"invalid_request_error","param":null,"code":"invalid_request_error"}}"#,
    ])
    func contextLengthErrorsAreTooLongPrompts(body: String) {
        let error = UpstreamErrors.fromResponse(status: .badRequest, body: Array(body.utf8), estimatedPromptTokens: 0, redactor: SecretRedactor(secrets: []))
        #expect(error.type == "invalid_request_error")
        #expect(error.message == "prompt is too long: 40000 tokens > 32768 maximum")
    }
}
