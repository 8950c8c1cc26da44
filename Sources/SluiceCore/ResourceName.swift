/// Account, region and name of a resource, and its ARN.
public struct ResourceName: Hashable, Sendable, CustomStringConvertible {
    public let service: String
    public let region: String
    public let account: String
    public let name: String

    public init(service: String, region: String, account: String, name: String) {
        self.service = service
        self.region = region
        self.account = account
        self.name = name
    }

    public var arn: String { "arn:aws:\(service):\(region):\(account):\(name)" }
    public var description: String { arn }

    /// Parses `arn:aws:<service>:<region>:<account>:<name>`; nil when it is not one.
    public static func parse(arn: String, service: String) -> ResourceName? {
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[1].hasPrefix("aws"), parts[2] == service,
              !parts[3].isEmpty, !parts[4].isEmpty, !parts[5].isEmpty else { return nil }
        return ResourceName(service: service, region: String(parts[3]), account: String(parts[4]), name: String(parts[5]))
    }
}

/// Identifies a queue within sluice: its account and its name.
public struct QueueKey: Hashable, Sendable, CustomStringConvertible {
    public let account: String
    public let name: String

    public init(account: String, name: String) {
        self.account = account
        self.name = name
    }

    public var description: String { "\(account)/\(name)" }
    public var isFIFO: Bool { name.hasSuffix(".fifo") }

    public func arn(region: String) -> String { "arn:aws:sqs:\(region):\(account):\(name)" }
}
