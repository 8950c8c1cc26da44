/// The two text formats Prometheus scrapes.
public enum ExpositionFormat: Sendable {
    /// `text/plain; version=0.0.4`
    case prometheus
    /// `application/openmetrics-text; version=1.0.0`
    case openMetrics

    public var contentType: String {
        switch self {
        case .prometheus: return "text/plain; version=0.0.4; charset=utf-8"
        case .openMetrics: return "application/openmetrics-text; version=1.0.0; charset=utf-8"
        }
    }

    /// Picks the format from an `Accept` header.
    public static func negotiate(accept: String?) -> ExpositionFormat {
        guard let accept, accept.contains("application/openmetrics-text") else { return .prometheus }
        return .openMetrics
    }
}

/// Labels of one series, in a fixed order.
public typealias Labels = [(String, String)]

/// Writes metric families in exposition text: HELP and TYPE once per family, samples together.
public struct ExpositionWriter {
    public let format: ExpositionFormat
    public private(set) var text = ""

    public init(format: ExpositionFormat) {
        self.format = format
        text.reserveCapacity(64 * 1024)
    }

    /// Starts a family. For counters `name` ends in `_total`; OpenMetrics declares the family without it.
    public mutating func family(_ name: String, type: String, help: String, unit: String? = nil) {
        let declared = format == .openMetrics && type == "counter" && name.hasSuffix("_total") ? String(name.dropLast(6)) : name
        text += "# HELP \(declared) "
        Self.escapeHelp(help, into: &text)
        text += "\n# TYPE \(declared) \(type)\n"
        if format == .openMetrics, let unit { text += "# UNIT \(declared) \(unit)\n" }
    }

    public mutating func sample(_ name: String, _ labels: Labels, _ value: Double) {
        sample(name, rendered: Self.render(labels), value)
    }

    /// A sample whose labels were rendered once with ``render(_:)`` (scrapes of many series).
    public mutating func sample(_ name: String, rendered labels: String, _ value: Double) {
        text += name
        text += labels
        text += " "
        text += Self.number(value)
        text += "\n"
    }

    /// `{a="x",b="y"}` (empty for no labels).
    public static func render(_ labels: Labels) -> String {
        guard !labels.isEmpty else { return "" }
        var out = "{"
        for (index, label) in labels.enumerated() {
            if index > 0 { out += "," }
            out += label.0
            out += "=\""
            escapeLabel(label.1, into: &out)
            out += "\""
        }
        return out + "}"
    }

    public mutating func histogram(_ name: String, _ labels: Labels, _ histogram: Histogram) {
        let snapshot = histogram.snapshot
        for (index, bound) in histogram.bounds.enumerated() {
            sample(name + "_bucket", labels + [("le", bucketBound(bound))], Double(snapshot.buckets[index]))
        }
        sample(name + "_bucket", labels + [("le", "+Inf")], Double(snapshot.count))
        sample(name + "_sum", labels, snapshot.sum)
        sample(name + "_count", labels, Double(snapshot.count))
    }

    public mutating func finish() {
        if format == .openMetrics { text += "# EOF\n" }
    }

    /// A bucket's `le` value: OpenMetrics requires the canonical float form (`1.0`, `1.048576e+06`).
    public func bucketBound(_ value: Double) -> String {
        format == .openMetrics ? Self.canonicalFloat(value) : Self.number(value)
    }

    /// Go's `%g` with `.0` added to integral values, as OpenMetrics' canonical numbers.
    static func canonicalFloat(_ value: Double) -> String {
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        var text = String(format: "%g", value)
        if !text.contains(".") && !text.contains("e") && !text.contains("n") { text += ".0" }
        return text
    }

    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value == .infinity { return "+Inf" }
        if value == -.infinity { return "-Inf" }
        if value.rounded() == value && abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    static func escapeLabel(_ text: String, into out: inout String) {
        if !text.utf8.contains(where: { $0 == 0x5c || $0 == 0x22 || $0 == 0x0a }) {
            out += text
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
    }

    static func escapeHelp(_ text: String, into out: inout String) {
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
    }

    /// CloudWatch metric name to Prometheus style: `ApproximateNumberOfMessagesVisible` →
    /// `approximate_number_of_messages_visible`; `-` becomes `_`.
    public static func snakeCase(_ name: String) -> String {
        var out = ""
        var previousLower = false
        for scalar in name.unicodeScalars {
            let isUpper = scalar.properties.isUppercase
            if isUpper && previousLower { out += "_" }
            if scalar == "-" || scalar == " " || scalar == "." {
                if !out.hasSuffix("_") { out += "_" }
                previousLower = false
                continue
            }
            out += String(scalar).lowercased()
            previousLower = !isUpper
        }
        return out
    }
}
