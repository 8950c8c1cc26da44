import SluiceCore
/// Turns a policy's JSON object into conjunctions of key constraints, enforcing AWS's
/// rules in AWS's order: syntax (document order), nesting under the MessageAttributes
/// scope, the key limit, then the combination limit.
struct PolicyCompiler {
    let scope: FilterPolicyScope

    /// A policy object after the syntax pass.
    struct Node {
        var items: [Item] = []
    }

    enum Item {
        case leaf(name: String, conditions: [FilterCondition])
        case nested(name: String, node: Node)
        case or([Node])
    }

    /// The compiled form: each conjunction's constraints index into `slotPaths`.
    struct Output {
        var conjunctions: [[KeyConstraint]]
        var slotPaths: [String]
    }

    func compile(_ members: [JSONValue.Member]) throws(FilterPolicyError) -> Output {
        let root = try Self.node(members)
        if scope == .messageAttributes, Self.hasNesting(root) { throw .nested }
        try checkKeys(root)
        guard Self.combinations(root, depth: 1) <= FilterPolicy.maxCombinations else { throw .tooComplex }
        return Self.lower(Self.expand(root, prefix: nil))
    }

    // MARK: Syntax

    static func node(_ members: [JSONValue.Member]) throws(FilterPolicyError) -> Node {
        guard !members.isEmpty else { throw .invalid("Empty objects are not allowed") }
        var node = Node()
        for member in members {
            if member.key == "$or", let branches = orBranches(member.value) {
                var nodes: [Node] = []
                for branch in branches { nodes.append(try self.node(branch)) }
                node.items.append(.or(nodes))
                continue
            }
            switch member.value {
            case .object(let inner):
                node.items.append(.nested(name: member.key, node: try self.node(inner)))
            case .array(let elements):
                node.items.append(.leaf(name: member.key, conditions: try MatchExpressionParser.conditions(elements)))
            default:
                throw .invalid("\"\(member.key)\" must be an object or an array")
            }
        }
        return node
    }

    /// AWS reads `"$or"` as OR only for an array of at least two objects none of whose
    /// fields is an operator name; otherwise `$or` is an ordinary key.
    static func orBranches(_ value: JSONValue) -> [[JSONValue.Member]]? {
        guard case .array(let elements) = value, elements.count >= 2 else { return nil }
        var branches: [[JSONValue.Member]] = []
        for element in elements {
            guard case .object(let members) = element,
                  !members.contains(where: { MatchExpressionParser.reservedNames.contains($0.key) }) else { return nil }
            branches.append(members)
        }
        return branches
    }

    static func hasNesting(_ node: Node) -> Bool {
        node.items.contains { item in
            switch item {
            case .leaf: return false
            case .nested: return true
            case .or(let branches): return branches.contains(where: hasNesting)
            }
        }
    }

    // MARK: Limits

    /// At most five keys in each alternative the `$or`s spell out. Under the
    /// MessageAttributes scope every key counts; under MessageBody only top-level keys do
    /// (AWS: "nested keys don't count").
    func checkKeys(_ root: Node) throws(FilterPolicyError) {
        _ = try keySets(root, top: nil)
    }

    /// The distinct key sets of the node's alternatives. Distinct sets never outnumber
    /// the alternatives, so past a few thousand the policy is certainly too complex.
    private func keySets(_ node: Node, top: String?) throws(FilterPolicyError) -> Set<Set<String>> {
        var sets: Set<Set<String>> = [[]]
        for item in node.items {
            switch item {
            case .leaf(let name, _):
                let key = scope == .messageBody ? (top ?? name) : name
                sets = Set(sets.map { $0.union([key]) })
            case .nested(let name, let child):
                sets = Self.cross(sets, try keySets(child, top: top ?? name))
            case .or(let branches):
                var alternatives: Set<Set<String>> = []
                for branch in branches { alternatives.formUnion(try keySets(branch, top: top)) }
                sets = Self.cross(sets, alternatives)
            }
            if sets.contains(where: { $0.count > FilterPolicy.maxKeys }) { throw .tooManyKeys }
            if sets.count > 4096 { throw .tooComplex }
        }
        return sets
    }

    private static func cross(_ a: Set<Set<String>>, _ b: Set<Set<String>>) -> Set<Set<String>> {
        var out: Set<Set<String>> = []
        for x in a { for y in b { out.insert(x.union(y)) } }
        return out
    }

    /// AWS's documented count: multiply, across the keys of an alternative, the number
    /// of values in each key's array times the key's nesting depth (1 at the top; a
    /// value array three objects deep counts three times its length), and add up the
    /// alternatives an `$or` introduces. Saturates instead of overflowing.
    static func combinations(_ node: Node, depth: Int) -> Int {
        var total = 1
        for item in node.items {
            switch item {
            case .leaf(_, let conditions):
                total = saturatingProduct(total, saturatingProduct(conditions.count, depth))
            case .nested(_, let child):
                total = saturatingProduct(total, combinations(child, depth: depth + 1))
            case .or(let branches):
                var sum = 0
                for branch in branches { sum = min(sum + combinations(branch, depth: depth), cap) }
                total = saturatingProduct(total, sum)
            }
        }
        return total
    }

    private static let cap = 1 << 40

    private static func saturatingProduct(_ a: Int, _ b: Int) -> Int {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? cap : min(product, cap)
    }

    // MARK: Lowering

    typealias Leaf = (path: String, conditions: [FilterCondition])

    /// Spells out the `$or`s: one list of leaves per alternative, paths joined with `.`
    /// as AWS flattens them.
    static func expand(_ node: Node, prefix: String?) -> [[Leaf]] {
        var alternatives: [[Leaf]] = [[]]
        for item in node.items {
            switch item {
            case .leaf(let name, let conditions):
                let path = prefix.map { "\($0).\(name)" } ?? name
                for index in alternatives.indices { alternatives[index].append((path, conditions)) }
            case .nested(let name, let child):
                alternatives = combine(alternatives, expand(child, prefix: prefix.map { "\($0).\(name)" } ?? name))
            case .or(let branches):
                alternatives = combine(alternatives, branches.flatMap { expand($0, prefix: prefix) })
            }
        }
        return alternatives
    }

    private static func combine(_ a: [[Leaf]], _ b: [[Leaf]]) -> [[Leaf]] {
        a.flatMap { x in b.map { y in x + y } }
    }

    /// Numbers each distinct path once; a path given twice in one alternative keeps its
    /// last conditions, as AWS's compiler overwrites a repeated field.
    static func lower(_ alternatives: [[Leaf]]) -> Output {
        var slots: [String: Int] = [:]
        var slotPaths: [String] = []
        var conjunctions: [[KeyConstraint]] = []
        for leaves in alternatives {
            var constraints: [KeyConstraint] = []
            var position: [String: Int] = [:]
            for leaf in leaves {
                let slot: Int
                if let known = slots[leaf.path] {
                    slot = known
                } else {
                    slot = slotPaths.count
                    slots[leaf.path] = slot
                    slotPaths.append(leaf.path)
                }
                let constraint = KeyConstraint(path: leaf.path, slot: slot, conditions: leaf.conditions)
                if let at = position[leaf.path] {
                    constraints[at] = constraint
                } else {
                    position[leaf.path] = constraints.count
                    constraints.append(constraint)
                }
            }
            conjunctions.append(constraints)
        }
        return Output(conjunctions: conjunctions, slotPaths: slotPaths)
    }
}
