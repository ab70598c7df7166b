/// How one tool call's streamed `function.arguments` fragments add up. OpenAI's format sends
/// deltas (each fragment the next piece of the JSON text), but some OpenAI-compatible servers
/// send cumulative snapshots (each fragment all of the text so far), which appended as deltas
/// gave `{"city": "Pa{"city": "Paris"}`. Both are recognised without a setting.
///
/// The rule: a fragment that starts with everything received so far for the call (and is not
/// the first non-empty one) is a snapshot, and only what follows that is new. A fragment that
/// does not is a delta, and from then on the call is read as deltas for good: a snapshot
/// stream never sends one, so the test is not made again, and nothing is kept for it.
///
/// When is that ambiguous? Only while every fragment so far began with all the text before
/// it, i.e. from the second fragment until the first one that does not repeat. A true delta
/// that starts with all of the text received so far, `R`, makes the arguments `R R …`: the
/// second copy of `R`'s opening `{` must then stand where a value may (after `:`, `[` or `,`)
/// or inside a string, so the model must have opened a value (or key) by repeating, from its
/// very first byte, the whole text before it, in one fragment. `{` then `{…` is never that
/// (`{{` is not JSON); `{"a":` then `{"a":1}}` is (`{"a":{"a":1}}`), and is read as a
/// snapshot: it needs a recursive value written at the start of the call whose repetition
/// the server happened to cut exactly at a fragment boundary, while snapshots are what the
/// servers that send them do on every fragment. A fragment equal to `R` adds nothing (a
/// snapshot that did not grow), never `R R`. A delta shorter than `R`, even one that equals
/// a beginning of it (`{"a` after `{"a":"b`), cannot start with `R` and is a delta.
///
/// A snapshot stream whose fragment stops starting with what came before (a server that
/// rewrote earlier text) is read as deltas from there on: appending is all that is left.
///
/// Time is linear in the bytes received: while undecided or reading snapshots, a fragment is
/// compared with the text before it only when it is at least as long (so the comparison
/// costs at most the fragment's own length), and reading deltas costs one test.
struct ArgumentFragments: Sendable {
    /// What is new in a fragment.
    enum NewPart: Equatable {
        /// All of it: a delta (or the first piece).
        case whole
        /// Only this: the fragment was a snapshot (empty when it added nothing).
        case suffix(String)
    }

    private enum Reading: Sendable {
        /// No fragment yet, or only the first; `received` is it.
        case undecided(received: String)
        /// Snapshots; `received` is the last one.
        case snapshots(received: String)
        case deltas
    }

    private var reading = Reading.undecided(received: "")

    /// Bytes kept to recognise snapshots (the first fragment, or the last snapshot).
    var retainedBytes: Int {
        switch reading {
        case .undecided(let received), .snapshots(let received): received.utf8.count
        case .deltas: 0
        }
    }

    /// What is new in `fragment` (read only when a comparison is still to be made). An empty
    /// fragment (a chunk that carried only the id or name) adds nothing and decides nothing.
    mutating func read(_ fragment: @autoclosure () -> String) -> NewPart {
        switch reading {
        case .deltas:
            return .whole
        case .undecided(let received) where received.isEmpty:
            // The first piece: a delta and a snapshot read the same.
            reading = .undecided(received: fragment())
            return .whole
        case .undecided(let received), .snapshots(let received):
            let text = fragment()
            if text.isEmpty { return .whole }
            let receivedCount = received.utf8.count
            guard text.utf8.count >= receivedCount, text.utf8.starts(with: received.utf8) else {
                reading = .deltas
                return .whole
            }
            reading = .snapshots(received: text)
            // `received` is whole UTF-8, so the cut falls between characters.
            return .suffix(String(decoding: text.utf8.dropFirst(receivedCount), as: UTF8.self))
        }
    }
}
