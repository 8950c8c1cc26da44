/// What a subscription's filter policy looks at: the `FilterPolicyScope` attribute.
public enum FilterPolicyScope: String, Sendable, CaseIterable {
    /// Message attributes (the default); policies are flat.
    case messageAttributes = "MessageAttributes"
    /// The message body, which must be a JSON object; policies may nest.
    case messageBody = "MessageBody"
}
