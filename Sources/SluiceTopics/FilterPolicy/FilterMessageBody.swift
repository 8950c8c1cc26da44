import SluiceCore
/// A message body read once for filtering, so a topic with many body-scoped
/// subscriptions parses each message a single time.
public struct FilterMessageBody: Sendable {
    /// The top-level members, or nil when the body is not a JSON object.
    let members: [JSONValue.Member]?

    /// Reads `text`; a body that is not a JSON object is kept as unreadable.
    public init(_ text: String) {
        if case .object(let members)? = try? JSONReader.parse(text) {
            self.members = members
        } else {
            members = nil
        }
    }

    /// Whether the body is a JSON object (body-scoped policies need one).
    public var isJSONObject: Bool { members != nil }
}
