/// Step 2 of a `POST /v1/messages`: which upstream model a request goes to.
enum ModelRoute {
    /// `MODEL_MAP` applied to each member of a Chutes pool (`a,b`) on its own, order and
    /// routing suffixes (`:latency`, `:throughput`) kept; a member mapped to a pool becomes
    /// its members. A name no entry matches is sent as asked.
    static func upstreamModel(for model: String, in map: ModelMap) -> String {
        guard !map.isEmpty else { return model }
        return ModelPool(model).members.flatMap { member -> [ModelPool.Member] in
            guard let mapped = map.upstreamModel(for: member.name) else { return [member] }
            return ModelPool(mapped).members.map { target in
                ModelPool.Member(name: target.name, suffix: target.suffix.isEmpty ? member.suffix : target.suffix)
            }
        }.map { $0.name + $0.suffix }.joined(separator: ",")
    }
}
