/// A parser that cannot resynchronise after an error: once a step has thrown, every later
/// call throws the same error.
protocol ParserFailureLatch {
    associatedtype Event
    /// The first error a step threw, if any.
    var failure: HTTPParseError? { get set }
    /// Parses what is buffered into the next event; nil when more bytes are needed.
    mutating func step() throws(HTTPParseError) -> Event?
}

extension ParserFailureLatch {
    /// `step()`, or the error that ended parsing earlier.
    mutating func latchedStep() throws(HTTPParseError) -> Event? {
        if let failure { throw failure }
        do {
            return try step()
        } catch {
            failure = error
            throw error
        }
    }
}
