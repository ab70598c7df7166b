/// A setting that stops start-up, naming the variable and what is wrong with it.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The setting at fault, e.g. `MODEL_MAP`.
    public var variable: String
    /// What is wrong with it and how to fix it.
    public var problem: String

    /// A problem with `variable`.
    public init(variable: String, problem: String) {
        self.variable = variable
        self.problem = problem
    }

    /// `VARIABLE: problem`, as start-up prints it.
    public var description: String { "\(variable): \(problem)" }
}
