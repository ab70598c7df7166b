import JSON

/// A model as a route names it: on which provider, and the model's name there.
///
/// Written `provider::model` (two colons: Chutes' names hold `/` and single `:` suffixes such
/// as `:latency`, Ollama's `llama3.2:3b`, and none holds `::`), or in `MODEL_MAP` and `ROUTES`
/// as `{"provider": "openrouter", "model": "deepseek/deepseek-chat"}`. A name without `::`
/// is the default provider's, and `chutes::X` is `X`. Routes keep targets as text in the
/// short form (`text`), so a plan is a list of strings as before and the default
/// provider's names are exactly what they were.
struct ModelTarget: Sendable, Equatable {
    /// Between the provider and the model in the short form.
    static let separator = "::"

    /// The provider's name; nil: the default provider.
    var provider: String?
    /// The model's name on that provider (for the default one possibly a Chutes pool `a,b`).
    var model: String

    /// `model` on `provider`; the default provider's name is the same as none.
    init(provider: String?, model: String) {
        self.provider = provider == ProviderDefinition.defaultName ? nil : provider
        self.model = model
    }

    /// Reads the short form: the text before the first `::` is the provider.
    init(_ text: String) {
        guard let range = Self.separatorRange(in: text) else {
            self.init(provider: nil, model: text)
            return
        }
        self.init(provider: String(text[..<range.lowerBound]), model: String(text[range.upperBound...]))
    }

    /// Where the first `::` is, found on the bytes (asked of every model a request tries).
    private static func separatorRange(in text: String) -> Range<String.Index>? {
        let utf8 = text.utf8
        var previousWasColon = false
        for index in utf8.indices {
            let isColon = utf8[index] == UInt8(ascii: ":")
            if isColon && previousWasColon {
                let start = utf8.index(before: index)
                return start..<utf8.index(after: index)
            }
            previousWasColon = isColon
        }
        return nil
    }

    /// Whether `text` names a provider (holds `::`).
    static func namesProvider(_ text: String) -> Bool { separatorRange(in: text) != nil }

    /// The short form: `provider::model`, or the model alone on the default provider.
    var text: String { provider.map { $0 + Self.separator + model } ?? model }

    /// A target as `MODEL_MAP` and `ROUTES` write it, in the short form: a non-empty name, or
    /// an object `{"provider": ..., "model": ...}`. Nil when it is neither.
    static func text(from value: JSONValue) -> String? {
        if let name = value.stringValue { return name.isEmpty ? nil : ModelTarget(name).text }
        guard let object = value.objectValue, object.count == 2, let provider = object["provider"]?.stringValue, !provider.isEmpty,
            let model = object["model"]?.stringValue, !model.isEmpty
        else { return nil }
        return ModelTarget(provider: provider, model: model).text
    }
}
