/// One key of a conjunction: where its values live and what they must satisfy.
struct KeyConstraint: Sendable {
    /// The flattened path (`a.b.c`), also the attribute name in the MessageAttributes scope.
    let path: String
    /// Index of `path` in ``FilterPolicy``'s slot table.
    let slot: Int
    let conditions: [FilterCondition]

    /// Whether a condition that looks at the whole key holds for `values`.
    func holdsAsWhole(_ values: [FilterScalar]) -> Bool {
        conditions.contains { !$0.isPerValue && $0.holds(for: values) }
    }

    /// Whether a per-value condition accepts `value`.
    func accepts(_ value: FilterScalar) -> Bool {
        conditions.contains { $0.isPerValue && $0.matches(value) }
    }

    /// Whether the key is satisfied, ignoring which array element a value came from.
    func isSatisfied(by values: [FilterScalar]) -> Bool {
        holdsAsWhole(values) || values.contains(where: accepts)
    }
}
