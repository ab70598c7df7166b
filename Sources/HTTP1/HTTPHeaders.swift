/// Header fields in the order they came; lookup ignores case; repeated names are kept.
public struct HTTPHeaders: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    /// One field: its name as written, and its value.
    public typealias Element = (name: String, value: String)

    private var fields: [(name: String, value: String)]

    /// No fields.
    public init() { fields = [] }

    /// These fields, in this order.
    public init(_ fields: [(name: String, value: String)]) { self.fields = fields }

    /// `["Name": "value"]`, fields in the order written.
    public init(dictionaryLiteral elements: (String, String)...) {
        fields = elements.map { (name: $0.0, value: $0.1) }
    }

    /// The first value for `name`, compared without regard to ASCII case.
    public subscript(name: String) -> String? {
        fields.first { Self.equalIgnoringCase($0.name, name) }?.value
    }

    /// Every value of the fields named `name` (any case), in order.
    public func values(for name: String) -> [String] {
        fields.filter { Self.equalIgnoringCase($0.name, name) }.map(\.value)
    }

    /// Appends a field, keeping any others of the same name.
    public mutating func add(name: String, value: String) {
        fields.append((name: name, value: value))
    }

    /// Replaces the first field of that name (dropping the others) or appends one.
    public mutating func replaceOrAdd(name: String, value: String) {
        if let index = fields.firstIndex(where: { Self.equalIgnoringCase($0.name, name) }) {
            fields[index].value = value
            var later = fields.index(after: index)
            while later < fields.endIndex {
                if Self.equalIgnoringCase(fields[later].name, name) { fields.remove(at: later) } else { later += 1 }
            }
        } else {
            fields.append((name: name, value: value))
        }
    }

    /// Removes every field named `name` (any case).
    public mutating func remove(name: String) {
        fields.removeAll { Self.equalIgnoringCase($0.name, name) }
    }

    /// How many fields, repeated names included.
    public var count: Int { fields.count }

    /// The fields in order.
    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        fields.makeIterator()
    }

    /// True when a comma-separated header (Connection, Transfer-Encoding) lists `token`.
    public func contains(token: String, in name: String) -> Bool {
        values(for: name).contains { value in
            value.split(separator: ",").contains { Self.equalIgnoringCase($0.trimmingOptionalWhitespace, token) }
        }
    }

    /// The first field that cannot be written as is: a name that is not an RFC 9110 token,
    /// or a value holding CR, LF or NUL (a value with a line break would end its field and
    /// start another one of the sender's choosing: header injection, response splitting).
    /// Writers refuse such headers rather than escape them.
    public var firstUnsafeField: Element? {
        fields.first { field in
            field.name.isEmpty || !field.name.utf8.allSatisfy(isTokenByte)
                || field.value.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0 }
        }
    }

    /// Equal when the fields match in order, names compared without regard to ASCII case.
    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.fields.count == rhs.fields.count
            && zip(lhs.fields, rhs.fields).allSatisfy { equalIgnoringCase($0.name, $1.name) && $0.value == $1.value }
    }

    static func equalIgnoringCase(_ a: some StringProtocol, _ b: some StringProtocol) -> Bool {
        let a = a.utf8, b = b.utf8
        guard a.count == b.count else { return false }
        return zip(a, b).allSatisfy { asciiLowercased($0) == asciiLowercased($1) }
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs: RFC 9110's optional whitespace (OWS)
    /// around header values and list members.
    package var trimmingOptionalWhitespace: Substring {
        let text = Substring(self)
        let start = text.firstIndex { $0 != " " && $0 != "\t" } ?? text.endIndex
        let end = text.lastIndex { $0 != " " && $0 != "\t" }.map(text.index(after:)) ?? start
        return text[start..<Swift.max(start, end)]
    }
}

@inline(__always)
func asciiLowercased(_ byte: UInt8) -> UInt8 {
    byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
}
