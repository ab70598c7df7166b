extension Int {
    /// `self + other`, held at `Int.max` or `Int.min` instead of trapping: for sums of numbers a
    /// client or an upstream chose (`max_tokens`, a model's window), where a trap would let any
    /// request stop the process.
    func saturatingAdd(_ other: Int) -> Int {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }

    /// `self - other`, held at the ends of `Int` as `saturatingAdd`.
    func saturatingSubtract(_ other: Int) -> Int {
        let (difference, overflow) = subtractingReportingOverflow(other)
        guard overflow else { return difference }
        return other < 0 ? .max : .min
    }
}
