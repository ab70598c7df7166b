import JSON

/// A `model` value as Chutes reads it: one model, or a pool `a,b,c` that Chutes itself tries
/// in order, each member possibly ending in a routing suffix (`:latency`, `:throughput`).
/// The proxy maps and case-corrects each member on its own and keeps order and suffixes, so
/// the user's failover reaches Chutes intact.
struct ModelPool: Sendable, Equatable {
    struct Member: Sendable, Equatable {
        var name: String
        /// `:latency`, `:throughput` or empty.
        var suffix: String
    }

    var members: [Member]

    static let routingSuffixes = [":latency", ":throughput"]

    init(_ text: String) {
        // The usual value, one plain name (`deepseek-ai/DeepSeek-V3.1`): nothing to split,
        // trim or take a suffix from, so no work per request beyond this scan.
        if !text.isEmpty, text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ",") && $0 != UInt8(ascii: ":") }) {
            members = [Member(name: text, suffix: "")]
            return
        }
        members = text.split(separator: ",").compactMap { part in
            let name = part.trimmingWhitespace
            guard !name.isEmpty else { return nil }
            let lowered = name.lowercased()
            for suffix in Self.routingSuffixes where lowered.hasSuffix(suffix) {
                return Member(name: String(name.dropLast(suffix.count)), suffix: String(name.suffix(suffix.count)))
            }
            return Member(name: String(name), suffix: "")
        }
        if members.isEmpty { members = [Member(name: text, suffix: "")] }
    }

    init(members: [Member]) { self.members = members }

    var isPool: Bool { members.count > 1 }

    /// The value as sent upstream: members joined by `,` with their suffixes.
    var text: String { members.map { $0.name + $0.suffix }.joined(separator: ",") }

    /// Each member's name replaced by `transform`'s names (a member mapped to several names
    /// becomes that many members, in order, keeping its suffix).
    func replacingNames(_ transform: (String) -> [String]) -> ModelPool {
        ModelPool(
            members: members.flatMap { member in
                transform(member.name).map { Member(name: $0, suffix: member.suffix) }
            })
    }
}
