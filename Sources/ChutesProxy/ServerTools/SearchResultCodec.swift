import JSON

/// The `encrypted_content` of a `web_search_result`: what the model read of the result,
/// carried by the client from turn to turn and read back by the proxy when the block comes
/// back in a later request.
///
/// It is base64 of a small JSON object (`{"v":1,"u":url,"t":title,"a":page_age,"c":excerpt}`),
/// not sealed: the excerpt is the search provider's public text, and a client that forges it
/// changes only what its own conversation tells the model, which it can do with any message.
/// Sealing would need a key to manage and rotate and would gain nothing against that client.
/// Anthropic's own `encrypted_content` (a conversation begun against Anthropic) does not
/// decode; the model then gets the result's title and URL.
enum SearchResultCodec {
    /// The largest `encrypted_content` read back.
    static let maxEncodedBytes = 64 << 10

    static func encode(_ result: SearchResult) -> String {
        var object: JSONObject = ["v": 1, "u": JSONValue(result.url), "t": JSONValue(result.title), "c": JSONValue(result.snippet)]
        if let age = result.pageAge { object["a"] = JSONValue(age) }
        return Base64.encode(JSONValue.object(object).serialized())
    }

    /// The excerpt written into `encrypted_content`, or nil when it is not the proxy's.
    static func excerpt(_ encrypted: String) -> String? {
        guard encrypted.utf8.count <= maxEncodedBytes, let bytes = Base64.decode(encrypted, limit: maxEncodedBytes),
            let value = try? JSONValue(parsing: bytes), value["v"]?.intValue == 1, let text = value["c"]?.stringValue
        else { return nil }
        return text.prefixUTF8(SearchResult.maxSnippetBytes)
    }

    /// The client's `web_search_result` block for `result`.
    static func block(_ result: SearchResult) -> JSONValue {
        [
            "type": "web_search_result", "url": JSONValue(result.url), "title": JSONValue(result.title),
            "encrypted_content": JSONValue(encode(result)), "page_age": result.pageAge.map { JSONValue($0) } ?? nil,
        ]
    }

    /// What the model reads for a `web_search_tool_result` block's `content` (a list of
    /// results, or an error object).
    static func toolResultText(_ content: JSONValue?) -> String {
        if let code = content?["error_code"]?.stringValue { return "Web search error: \(code)" + (code == "unavailable" ? " (web search is not available)" : "") }
        let results = content?.arrayValue ?? []
        if results.isEmpty { return "No results." }
        var text = ""
        for (index, result) in results.prefix(WebSearcher.maxResults * 2).enumerated() {
            let title = result["title"]?.stringValue?.prefixUTF8(SearchResult.maxTitleBytes) ?? ""
            let url = result["url"]?.stringValue?.prefixUTF8(SearchResult.maxURLBytes) ?? ""
            text += "[\(index + 1)] \(title)\nURL: \(url)\n"
            if let age = result["page_age"]?.stringValue { text += "Age: \(age.prefixUTF8(64))\n" }
            if let excerpt = result["encrypted_content"]?.stringValue.flatMap(excerpt), !excerpt.isEmpty { text += excerpt + "\n" }
            text += "\n"
        }
        return text
    }
}
