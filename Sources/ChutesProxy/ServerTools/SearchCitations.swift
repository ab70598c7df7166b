import JSON

/// `web_search_result_location` citations for the model's text: an open model writes plain
/// text, so a result is cited where the text names its URL (the tool's description asks the
/// model to cite the URLs it uses). The cited text is the start of the excerpt the model read.
enum SearchCitations {
    /// The longest `cited_text`, as Anthropic's are: a sentence or two.
    static let maxCitedBytes = 150
    /// Citations on one text block, at most.
    static let maxCitations = 20
    /// Results whose URLs are looked for in a text, at most (16 turns of 10 results could be 160).
    static let maxResultsLookedFor = 64

    /// `block` with a `citations` list when it is text naming one of `results`' URLs
    /// (`web_search_result` blocks of this answer); otherwise `block` as it is.
    static func cite(_ block: JSONValue, results: [JSONValue]) -> JSONValue {
        guard block["type"]?.stringValue == "text", let text = block["text"]?.stringValue, !results.isEmpty, case .object(var object) = block else { return block }
        var citations: [JSONValue] = []
        var cited: Set<String> = []
        // The first results of the answer only: each is a search through the text.
        for result in results.prefix(maxResultsLookedFor) where citations.count < maxCitations {
            guard let url = result["url"]?.stringValue, !cited.contains(url), names(text, url) else { continue }
            cited.insert(url)
            let excerpt = result["encrypted_content"]?.stringValue.flatMap(SearchResultCodec.excerpt) ?? ""
            citations.append([
                "type": "web_search_result_location", "url": JSONValue(url), "title": result["title"] ?? nil,
                "encrypted_index": JSONValue(Base64.encode(Array(url.utf8.prefix(SearchResult.maxURLBytes)))),
                "cited_text": JSONValue(excerpt.prefixUTF8(maxCitedBytes)),
            ])
        }
        guard !citations.isEmpty else { return block }
        object["citations"] = .array(citations)
        return .object(object)
    }

    /// The `web_search_result`s among `blocks`.
    static func results(in blocks: [JSONValue]) -> [JSONValue] {
        blocks.filter { $0["type"]?.stringValue == "web_search_tool_result" }.flatMap { $0["content"]?.arrayValue ?? [] }
    }

    /// Whether `text` names `url` (with or without its final slash). Short URLs are not looked
    /// for: `http://a.b` inside a longer one would match it.
    private static func names(_ text: String, _ url: String) -> Bool {
        let bare = url.hasSuffix("/") ? String(url.dropLast()) : url
        return bare.utf8.count >= 12 && text.firstRange(of: bare) != nil
    }
}
