import SluiceCore

/// A message attribute as filtering sees it: its data type and string value.
public struct FilterAttribute: Sendable, Equatable, Hashable {
    /// The data types filtering distinguishes.
    public enum Kind: Sendable, Equatable, Hashable {
        /// `String` (or `String.<label>`): matched as one string.
        case string
        /// `String.Array`: a JSON array whose string, number, boolean and null elements
        /// are each matched.
        case stringArray
        /// `Number` (or `Number.<label>`): matched numerically.
        case number
        /// `Binary`: ignored by filtering, as if absent.
        case binary
    }

    /// How the value is read.
    public let kind: Kind
    /// The `StringValue` (empty for Binary).
    public let value: String

    /// An attribute of a known kind.
    public init(kind: Kind, value: String) {
        self.kind = kind
        self.value = value
    }

    /// From a raw SNS `DataType` (with any custom `.label`) and `StringValue`; a nil
    /// value (Binary) or an unknown type prefix makes a Binary attribute.
    public init(dataType: String, stringValue: String?) {
        let base = dataType.split(separator: ".", maxSplits: 1).first.map(String.init) ?? dataType
        switch (base, stringValue) {
        case (_, nil): self.init(kind: .binary, value: "")
        case ("String", let value?): self.init(kind: dataType == "String.Array" ? .stringArray : .string, value: value)
        case ("Number", let value?): self.init(kind: .number, value: value)
        default: self.init(kind: .binary, value: "")
        }
    }

    /// From a stored message attribute.
    public init(_ attribute: MessageAttribute) {
        self.init(dataType: attribute.dataType, stringValue: attribute.stringValue)
    }

    /// A `String` attribute.
    public static func string(_ value: String) -> FilterAttribute { FilterAttribute(kind: .string, value: value) }
    /// A `Number` attribute, given as its decimal text.
    public static func number(_ value: String) -> FilterAttribute { FilterAttribute(kind: .number, value: value) }
    /// A `String.Array` attribute, given as its JSON array text.
    public static func stringArray(_ json: String) -> FilterAttribute { FilterAttribute(kind: .stringArray, value: json) }
    /// A `Binary` attribute (its bytes do not matter to filtering).
    public static let binary = FilterAttribute(kind: .binary, value: "")

    /// The values conditions test: nil when filtering ignores the attribute (Binary).
    /// Throws when the value cannot be read as its type claims.
    func scalars() throws(FilterAttributeError) -> [FilterScalar]? {
        switch kind {
        case .binary:
            return nil
        case .string:
            return [.string(value)]
        case .number:
            guard let number = FilterNumber(attributeText: value) else { throw FilterAttributeError() }
            return [.number(number)]
        case .stringArray:
            guard case .array(let elements)? = try? JSONReader.parse(value) else { throw FilterAttributeError() }
            var out: [FilterScalar] = []
            out.reserveCapacity(elements.count)
            for element in elements {
                guard let scalar = FilterScalar(json: element) else { throw FilterAttributeError() }
                out.append(scalar)
            }
            return out
        }
    }
}

/// An attribute whose value does not parse as its data type.
struct FilterAttributeError: Error {}
