import SluiceCore
/// Evaluates conjunctions against one body.
///
/// A key's path is matched against member names the way AWS flattens JSON: `a.b`
/// reaches `{"a":{"b":…}}`, `{"a.b":…}` and `{"a":{"b":[…]}}` alike. Arrays are
/// transparent, and values that satisfy different keys must come from the same element
/// of any array they share (AWS's array consistency): `{"r":[{"a":1,"b":2},{"a":3,"b":4}]}`
/// matches `{"r":{"a":[1],"b":[2]}}` but not `{"r":{"a":[1],"b":[4]}}`.
struct BodyMatcher {
    private let root: [JSONValue.Member]
    private let slotPaths: [[UInt8]]
    private var cache: [[FilterScalar]?]

    init(root: [JSONValue.Member], slotPaths: [String]) {
        self.root = root
        self.slotPaths = slotPaths.map { Array($0.utf8) }
        cache = Array(repeating: nil, count: slotPaths.count)
    }

    /// A key still to be satisfied below some node, with the rest of its path.
    private struct Goal {
        let key: KeyConstraint
        let rest: ArraySlice<UInt8>
    }

    mutating func satisfies(_ conjunction: [KeyConstraint]) -> Bool {
        var goals: [Goal] = []
        for key in conjunction {
            let values = self.values(key.slot)
            if key.holdsAsWhole(values) { continue }
            guard values.contains(where: key.accepts) else { return false }
            goals.append(Goal(key: key, rest: slotPaths[key.slot][...]))
        }
        // One value-bound key cannot conflict with itself.
        return goals.count <= 1 || Self.satisfy(members: root, goals)
    }

    /// Every leaf value at the slot's path, wherever arrays put it.
    private mutating func values(_ slot: Int) -> [FilterScalar] {
        if let cached = cache[slot] { return cached }
        var out: [FilterScalar] = []
        Self.collect(members: root, rest: slotPaths[slot][...], into: &out)
        cache[slot] = out
        return out
    }

    private static func collect(members: [JSONValue.Member], rest: ArraySlice<UInt8>, into out: inout [FilterScalar]) {
        for member in members {
            if let remaining = descend(member.key, rest) { collect(member.value, rest: remaining, into: &out) }
        }
    }

    private static func collect(_ node: JSONValue, rest: ArraySlice<UInt8>, into out: inout [FilterScalar]) {
        switch node {
        case .object(let members):
            collect(members: members, rest: rest, into: &out)
        case .array(let elements):
            for element in elements { collect(element, rest: rest, into: &out) }
        default:
            if rest.isEmpty, let scalar = FilterScalar(json: node) { out.append(scalar) }
        }
    }

    /// The rest of the path below member `key`, or nil when the member is off the path.
    /// An empty rest means the member's value is the target.
    private static func descend(_ key: String, _ rest: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        let name = key.utf8
        guard rest.count >= name.count, rest.prefix(name.count).elementsEqual(name) else { return nil }
        if rest.count == name.count { return rest[rest.endIndex...] }
        let dot = rest.index(rest.startIndex, offsetBy: name.count)
        return rest[dot] == UInt8(ascii: ".") ? rest[(dot + 1)...] : nil
    }

    private static func satisfy(_ node: JSONValue, _ goals: [Goal]) -> Bool {
        switch node {
        case .object(let members):
            return satisfy(members: members, goals)
        case .array(let elements):
            // Every goal below an array must be met inside one element.
            return elements.contains { satisfy($0, goals) }
        default:
            guard let scalar = FilterScalar(json: node) else { return false }
            return goals.allSatisfy { $0.rest.isEmpty && $0.key.accepts(scalar) }
        }
    }

    /// Each goal picks a member to descend into (usually exactly one fits); goals that
    /// pick the same member must be met together below it.
    private static func satisfy(members: [JSONValue.Member], _ goals: [Goal]) -> Bool {
        var options: [[(member: Int, goal: Goal)]] = []
        for goal in goals {
            var fits: [(member: Int, goal: Goal)] = []
            for (index, member) in members.enumerated() {
                if let rest = descend(member.key, goal.rest) { fits.append((index, Goal(key: goal.key, rest: rest))) }
            }
            guard !fits.isEmpty else { return false }
            options.append(fits)
        }
        var groups: [Int: [Goal]] = [:]
        func assign(_ next: Int) -> Bool {
            guard next < options.count else {
                return groups.allSatisfy { satisfy(members[$0.key].value, $0.value) }
            }
            for option in options[next] {
                groups[option.member, default: []].append(option.goal)
                if assign(next + 1) { return true }
                groups[option.member]!.removeLast()
                if groups[option.member]!.isEmpty { groups[option.member] = nil }
            }
            return false
        }
        return assign(0)
    }
}
