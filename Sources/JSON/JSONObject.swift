/// A JSON object's members in their written order. Lookups return the last member of a
/// repeated name, as most JSON readers do.
public struct JSONObject: Sendable, Equatable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    /// One member: its name and value.
    public typealias Element = (key: String, value: JSONValue)

    private var members: [Element]

    /// An empty object.
    public init() { members = [] }

    /// The members in the order given (repeated names are kept, as in parsed input).
    public init(_ pairs: [(String, JSONValue)]) {
        members = pairs.map { (key: $0.0, value: $0.1) }
    }

    /// `["key": value]`, keys in the order written.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements)
    }

    init(members: [Element]) { self.members = members }

    /// Setting replaces the member in place (dropping repeats) or appends it; nil removes it.
    public subscript(key: String) -> JSONValue? {
        get {
            members.last { $0.key == key }?.value
        }
        set {
            guard let newValue else {
                members.removeAll { $0.key == key }
                return
            }
            if let index = members.firstIndex(where: { $0.key == key }) {
                members[index].value = newValue
                var later = index + 1
                while later < members.count {
                    if members[later].key == key { members.remove(at: later) } else { later += 1 }
                }
            } else {
                members.append((key: key, value: newValue))
            }
        }
    }

    /// The member names in order.
    public var keys: [String] { members.map(\.key) }
    /// How many members, repeats included.
    public var count: Int { members.count }
    /// Whether the object has no member.
    public var isEmpty: Bool { members.isEmpty }

    /// Removes every member named `key`; returns the value a lookup would have given.
    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSONValue? {
        let old = self[key]
        members.removeAll { $0.key == key }
        return old
    }

    /// Makes room for `count` members, so building an object of known size allocates once.
    public mutating func reserveCapacity(_ count: Int) {
        members.reserveCapacity(count)
    }

    /// Appends without looking for an existing member: the fast path for building objects.
    public mutating func append(key: String, value: JSONValue) {
        members.append((key: key, value: value))
    }

    /// The members in order.
    public func makeIterator() -> IndexingIterator<[Element]> { members.makeIterator() }

    /// Equal when the members are equal in the same order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.members.count == rhs.members.count && zip(lhs.members, rhs.members).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    /// Hashes the members in order, consistent with `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(members.count)
        for member in members {
            hasher.combine(member.key)
            hasher.combine(member.value)
        }
    }
}
