import JSON

/// Reads `PROXY_KEYS_FILE`: a JSON array of named keys,
///
///     [{"name": "alice", "key_sha256": "9f86d0…", "requests_per_minute": 50,
///       "input_tokens_per_minute": 40000, "output_tokens_per_minute": 8000,
///       "tokens_per_day": 2000000, "max_concurrent_requests": 4,
///       "models": ["deepseek-ai/*", "claude-*"], "admin": false}]
///
/// Each entry has a `name` and exactly one of `key` (the key itself) or `key_sha256` (its
/// SHA-256 in hexadecimal, so the file holds no secret); the rest is optional. Anything
/// wrong is a `ConfigurationError` naming the setting and the entry, at start-up or, on a
/// reload, in the log (the keys in force stay).
enum KeysFile {
    static let variable = "PROXY_KEYS_FILE"
    /// The largest limit accepted: far above any real budget, small enough that sums of a
    /// day's counters cannot overflow.
    static let maximumLimit = 1_000_000_000_000
    /// Names go into log lines and metric labels: short, printable, no quotes.
    static let maximumNameLength = 64
    private static let knownFields: Set<String> = [
        "name", "key", "key_sha256", "requests_per_minute", "input_tokens_per_minute", "output_tokens_per_minute", "tokens_per_day",
        "max_concurrent_requests", "models", "admin",
    ]

    /// The keys of the file at `path`.
    static func load(path: String) throws(ConfigurationError) -> [NamedKey] {
        guard let text = ProxyConfiguration.readTextFile(path) else { throw fail("cannot read \(path) (at most 1 MiB)") }
        return try parse(text, path: path)
    }

    /// The keys of a file's text; `path` only names the file in errors.
    static func parse(_ text: String, path: String) throws(ConfigurationError) -> [NamedKey] {
        let document: JSONValue
        do {
            document = try JSONValue(parsing: Array(text.utf8))
        } catch {
            throw fail("\(path) is not valid JSON: \(error)")
        }
        guard let entries = document.arrayValue else { throw fail("\(path) must hold a JSON array of keys") }
        guard !entries.isEmpty else { throw fail("\(path) holds no key; leave \(variable) unset for none") }
        var keys: [NamedKey] = []
        var names: Set<String> = []
        var digests: Set<[UInt8]> = []
        for (index, entry) in entries.enumerated() {
            let key = try parseEntry(entry, index: index)
            guard names.insert(key.name).inserted else { throw fail("entry \(index) (\(key.name)): the name is used twice") }
            guard digests.insert(key.digest).inserted else { throw fail("entry \(index) (\(key.name)): the same key as an earlier entry") }
            keys.append(key)
        }
        return keys
    }

    private static func parseEntry(_ entry: JSONValue, index: Int) throws(ConfigurationError) -> NamedKey {
        guard let object = entry.objectValue else { throw fail("entry \(index) is not a JSON object") }
        guard let name = object["name"]?.stringValue else { throw fail("entry \(index): \"name\" is required (a string)") }
        guard !name.isEmpty, name.utf8.count <= maximumNameLength,
            name.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7F && $0 != "\"" && $0 != "\\" })
        else {
            throw fail("entry \(index): the name must be 1 to \(maximumNameLength) printable ASCII characters without spaces, quotes or backslashes")
        }
        let label = "entry \(index) (\(name))"
        if let unknown = object.keys.first(where: { !knownFields.contains($0) }) {
            throw fail("\(label): unknown field \"\(unknown.escapedForLog)\" (known: \(knownFields.sorted().joined(separator: ", ")))")
        }
        let digest: [UInt8]
        switch (object["key"], object["key_sha256"]) {
        case (let key?, nil):
            guard let key = key.stringValue, !key.isEmpty, key.utf8.count <= InboundKeys.maximumLength,
                key.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F })
            else {
                throw fail("\(label): \"key\" must be printable ASCII without spaces, 1 to \(InboundKeys.maximumLength) characters")
            }
            digest = SHA256.digest(key.utf8)
        case (nil, let hash?):
            guard let hex = hash.stringValue, let bytes = hexDigest(hex) else {
                throw fail("\(label): \"key_sha256\" must be 64 hexadecimal digits (sha256sum of the key, without a newline)")
            }
            digest = bytes
        case (nil, nil):
            throw fail("\(label): give \"key\" or \"key_sha256\"")
        case (_?, _?):
            throw fail("\(label): give \"key\" or \"key_sha256\", not both")
        }
        func limit(_ field: String, minimum: Int = 1) throws(ConfigurationError) -> Int? {
            guard let value = object[field], !value.isNull else { return nil }
            guard let number = value.intValue, number >= minimum, number <= maximumLimit else {
                throw fail("\(label): \"\(field)\" must be a whole number from \(minimum) to \(maximumLimit)")
            }
            return number
        }
        var limits = KeyLimits()
        limits.requestsPerMinute = try limit("requests_per_minute")
        limits.inputTokensPerMinute = try limit("input_tokens_per_minute")
        limits.outputTokensPerMinute = try limit("output_tokens_per_minute")
        limits.tokensPerDay = try limit("tokens_per_day")
        limits.maxConcurrentRequests = try limit("max_concurrent_requests")
        var models: [String] = []
        if let listed = object["models"], !listed.isNull {
            guard let array = listed.arrayValue, !array.isEmpty else { throw fail("\(label): \"models\" must be a non-empty list of model names or globs") }
            for model in array {
                guard let glob = model.stringValue, !glob.isEmpty, glob.utf8.count <= MessagesRequest.maxModelNameBytes else {
                    throw fail("\(label): \"models\" must hold model names or globs (strings of 1 to \(MessagesRequest.maxModelNameBytes) bytes)")
                }
                models.append(glob)
            }
        }
        var isAdmin = false
        if let admin = object["admin"], !admin.isNull {
            guard let flag = admin.boolValue else { throw fail("\(label): \"admin\" must be true or false") }
            isAdmin = flag
        }
        return NamedKey(name: name, digest: digest, limits: limits, models: models, isAdmin: isAdmin)
    }

    /// 32 bytes from 64 hexadecimal digits (either case); nil otherwise.
    static func hexDigest(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count == 64 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for pair in stride(from: 0, to: 64, by: 2) {
            guard let high = nibble(digits[pair]), let low = nibble(digits[pair + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func fail(_ problem: String) -> ConfigurationError { ConfigurationError(variable: variable, problem: problem) }
}
