import Foundation
import HTTPTypes
import Hummingbird
import SluiceCore
import SluiceFunctions
import SluiceWire

/// The Lambda API (REST-JSON) on the shared port: functions, Invoke and SQS event source
/// mappings, answered as AWS answers them (`x-amzn-ErrorType` errors).
struct LambdaAPI: Sendable {
    let host: FunctionHost
    let mappings: EventSourceMappings

    /// Largest request: a 50 MB zip upload, base64 in JSON.
    static let maxBodyBytes = 70 * 1024 * 1024
    static let maxSyncPayload = 6 * 1024 * 1024
    static let maxAsyncPayload = 1024 * 1024

    /// Whether a path belongs to the Lambda API.
    static func handles(_ path: String) -> Bool {
        path.hasPrefix("/2015-03-31/") || path.hasPrefix("/2014-11-13/functions/") || path.hasPrefix("/2017-10-31/functions/")
            || path.hasPrefix("/2019-09-30/functions/") || path.hasPrefix("/2016-08-19/account-settings")
    }

    func respond(_ request: Request, body: [UInt8], requestId: String, action: inout String) async -> Response {
        let path = request.uri.path
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map { String($0).removingPercentEncoding ?? String($0) }
        let query = Self.query(request.uri.query)
        do {
            switch (request.method, segments.count > 1 ? segments[1] : "", segments.count) {
            case (.get, "functions", 2):
                action = "ListFunctions"
                return try listFunctions(query, requestId: requestId)
            case (.post, "functions", 2):
                action = "CreateFunction"
                return try await createFunction(try Self.object(body), requestId: requestId)
            case (.get, "functions", 3):
                action = "GetFunction"
                return try getFunction(segments[2], request: request, requestId: requestId)
            case (.delete, "functions", 3):
                action = "DeleteFunction"
                return try await deleteFunction(segments[2], requestId: requestId)
            case (.get, "functions", 4) where segments[3] == "configuration":
                action = "GetFunctionConfiguration"
                let definition = try host.lookup(Self.qualified(segments[2], query))
                return Self.json(200, configuration(definition), requestId: requestId)
            case (.put, "functions", 4) where segments[3] == "configuration":
                action = "UpdateFunctionConfiguration"
                return try await updateConfiguration(segments[2], try Self.object(body), requestId: requestId)
            case (.put, "functions", 4) where segments[3] == "code":
                action = "UpdateFunctionCode"
                return try await updateCode(segments[2], try Self.object(body), requestId: requestId)
            case (.post, "functions", 4) where segments[3] == "invocations":
                action = "Invoke"
                return try await invoke(Self.qualified(segments[2], query), request: request, body: body, requestId: requestId)
            case (.post, "functions", 4) where segments[3] == "invoke-async" && segments[0] == "2014-11-13":
                action = "InvokeAsync"
                _ = try host.lookup(segments[2])
                guard body.count <= Self.maxAsyncPayload else { throw LambdaError.tooLarge("Request must be smaller than \(Self.maxAsyncPayload) bytes for the InvokeAsync operation") }
                _ = try await host.invokeAsync(segments[2], payload: try Self.payload(body))
                return Self.json(202, "{\"Status\":202}", requestId: requestId)
            case (_, "functions", 4) where segments[3] == "concurrency":
                action = "FunctionConcurrency"
                return try await concurrency(segments[2], method: request.method, body: body, requestId: requestId)
            case (.post, "event-source-mappings", 2):
                action = "CreateEventSourceMapping"
                return try await createMapping(try Self.object(body), requestId: requestId)
            case (.get, "event-source-mappings", 2):
                action = "ListEventSourceMappings"
                return try listMappings(query, requestId: requestId)
            case (.get, "event-source-mappings", 3):
                action = "GetEventSourceMapping"
                let mapping = try mappings.get(segments[2])
                return Self.json(200, mappings.json(mapping), requestId: requestId)
            case (.put, "event-source-mappings", 3):
                action = "UpdateEventSourceMapping"
                return try await updateMapping(segments[2], try Self.object(body), requestId: requestId)
            case (.delete, "event-source-mappings", 3):
                action = "DeleteEventSourceMapping"
                let mapping = try await mappings.delete(segments[2])
                return Self.json(202, mappings.json(mapping, state: "Deleting"), requestId: requestId)
            case (.get, "account-settings", 2):
                action = "GetAccountSettings"
                return Self.json(200, """
                    {"AccountLimit":{"TotalCodeSize":80530636800,"CodeSizeUnzipped":262144000,"CodeSizeZipped":52428800,"ConcurrentExecutions":1000,"UnreservedConcurrentExecutions":1000},"AccountUsage":{"TotalCodeSize":0,"FunctionCount":\(host.all().count)}}
                    """, requestId: requestId)
            default:
                action = "unknown"
                return Self.error(LambdaError("UnknownOperationException", 404, "Unknown operation \(request.method) \(path)"), requestId: requestId)
            }
        } catch let error as LambdaError {
            return Self.error(error, requestId: requestId)
        } catch {
            return Self.error(.service("\(error)"), requestId: requestId)
        }
    }

    // MARK: Functions

    func listFunctions(_ query: [String: String], requestId: String) throws(LambdaError) -> Response {
        let all = host.all()
        let (page, next) = try Self.page(all, marker: query["Marker"], maxItems: query["MaxItems"], limit: 10_000)
        var members = [("Functions", "[" + page.map { configuration($0) }.joined(separator: ",") + "]")]
        if let next { members.append(("NextMarker", JSONText.quoted(next))) }
        return Self.json(200, JSONText.object(members), requestId: requestId)
    }

    func getFunction(_ name: String, request: Request, requestId: String) throws(LambdaError) -> Response {
        let definition = try host.lookup(Self.qualified(name, Self.query(request.uri.query)))
        let location = "http://\(request.head.authority ?? "localhost:4566")/_sluice/functions/\(definition.name)/code.zip"
        let code = definition.origin == "api"
            ? JSONText.object([("RepositoryType", "\"S3\""), ("Location", JSONText.quoted(location))])
            : JSONText.object([("RepositoryType", "\"sluice\""), ("Location", JSONText.quoted(definition.codeDirectory ?? definition.url ?? definition.command?.joined(separator: " ") ?? ""))])
        return Self.json(200, JSONText.object([
            ("Configuration", configuration(definition)),
            ("Code", code),
            ("Tags", "{}"),
            ("Concurrency", "{\"ReservedConcurrentExecutions\":\(definition.concurrency)}"),
        ]), requestId: requestId)
    }

    func createFunction(_ body: JSONValue, requestId: String) async throws -> Response {
        let name = try Self.required(body, "FunctionName")
        guard FunctionDefinition.isValidName(name) else {
            throw LambdaError.invalid("1 validation error detected: Value '\(name)' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+")
        }
        let role = try Self.required(body, "Role")
        try Self.checkRole(role)
        if host.definition(name) != nil { throw LambdaError.conflict("Function already exist: \(name)") }
        if let type = Self.string(body, "PackageType"), type != "Zip" {
            throw LambdaError.invalid("sluice runs Zip packages only; PackageType \(type) is not supported.")
        }
        guard let runtime = Self.string(body, "Runtime") else { throw LambdaError.invalid("Runtime and Handler are mandatory parameters for functions created with Zip packages.") }
        guard runtime.hasPrefix("python3") else {
            throw LambdaError.invalid("The runtime parameter of \(runtime) is not supported by sluice: functions created through the API run Python runtimes (python3.x) through awslambdaric. Declare other functions in the config file with the command, runtime or http executor.")
        }
        guard let handler = Self.string(body, "Handler"), !handler.isEmpty else {
            throw LambdaError.invalid("Runtime and Handler are mandatory parameters for functions created with Zip packages.")
        }
        var definition = FunctionDefinition(name: name, executor: .runtime, runtime: runtime, handler: handler, origin: "api")
        definition.role = role
        try Self.applyConfiguration(body, to: &definition)
        if let problem = definition.problem() { throw LambdaError.invalid(problem) }
        try await install(try Self.zip(body["Code"]), into: &definition)
        return Self.json(201, configuration(definition), requestId: requestId)
    }

    func updateCode(_ name: String, _ body: JSONValue, requestId: String) async throws -> Response {
        var definition = try host.lookup(name)
        try Self.checkWritable(definition)
        guard body["ZipFile"] != nil else { throw LambdaError.invalid("Please provide a source for function code (ZipFile).") }
        try await install(try Self.zip(body), into: &definition)
        return Self.json(200, configuration(definition), requestId: requestId)
    }

    /// Unpacks a package for `definition` and (re)defines the function with it.
    func install(_ zip: [UInt8], into definition: inout FunctionDefinition) async throws {
        let installed = try await host.installZip(name: definition.name, zip: zip)
        definition.codeDirectory = installed.directory
        definition.codeSha256 = installed.sha256
        definition.codeSize = installed.size
        definition.lastModified = SystemClock().now()
        definition.revisionId = Identifiers.uuid()
        try await host.define(definition)
    }

    func updateConfiguration(_ name: String, _ body: JSONValue, requestId: String) async throws -> Response {
        var definition = try host.lookup(name)
        try Self.checkWritable(definition)
        if let role = Self.string(body, "Role") {
            try Self.checkRole(role)
            definition.role = role
        }
        if let handler = Self.string(body, "Handler") { definition.handler = handler }
        if let runtime = Self.string(body, "Runtime") {
            guard runtime.hasPrefix("python3") else { throw LambdaError.invalid("The runtime parameter of \(runtime) is not supported by sluice for functions created through the API.") }
            definition.runtime = runtime
        }
        try Self.applyConfiguration(body, to: &definition)
        definition.lastModified = SystemClock().now()
        definition.revisionId = Identifiers.uuid()
        try await host.define(definition)
        return Self.json(200, configuration(definition), requestId: requestId)
    }

    func deleteFunction(_ name: String, requestId: String) async throws -> Response {
        let (bare, qualifier) = try host.resolveName(name)
        let definition = try host.lookup(bare)
        if let qualifier, qualifier != "$LATEST" { throw LambdaError.notFound("Function not found: \(host.arn(bare)):\(qualifier)") }
        try Self.checkWritable(definition)
        await mappings.removeAll(function: definition.name)
        try await host.remove(definition.name)
        return Self.json(204, "", requestId: requestId)
    }

    func concurrency(_ name: String, method: HTTPRequest.Method, body: [UInt8], requestId: String) async throws -> Response {
        var definition = try host.lookup(name)
        switch method {
        case .get:
            return Self.json(200, "{\"ReservedConcurrentExecutions\":\(definition.concurrency)}", requestId: requestId)
        case .put:
            let value = try Self.object(body)
            guard let reserved = Self.int(value, "ReservedConcurrentExecutions"), (1...1000).contains(reserved) else {
                throw LambdaError.invalid("ReservedConcurrentExecutions must be between 1 and 1000 (sluice runs at least one invocation at a time).")
            }
            try Self.checkWritable(definition)
            definition.concurrency = reserved
            try await host.define(definition)
            return Self.json(200, "{\"ReservedConcurrentExecutions\":\(reserved)}", requestId: requestId)
        case .delete:
            try Self.checkWritable(definition)
            definition.concurrency = FunctionDefinition.defaultConcurrency
            try await host.define(definition)
            return Self.json(204, "", requestId: requestId)
        default:
            throw LambdaError("UnknownOperationException", 404, "Unknown operation")
        }
    }

    /// Timeout, MemorySize, Description, Environment of a create or update.
    static func applyConfiguration(_ body: JSONValue, to definition: inout FunctionDefinition) throws {
        if let timeout = int(body, "Timeout") {
            guard FunctionDefinition.timeoutRange.contains(timeout) else {
                throw LambdaError.invalid("1 validation error detected: Value '\(timeout)' at 'timeout' failed to satisfy constraint: Member must have value \(timeout < 1 ? "greater than or equal to 1" : "less than or equal to 900")")
            }
            definition.timeoutSeconds = timeout
        }
        if let memory = int(body, "MemorySize") {
            guard FunctionDefinition.memoryRange.contains(memory) else {
                throw LambdaError.invalid("1 validation error detected: Value '\(memory)' at 'memorySize' failed to satisfy constraint: Member must have value \(memory < 128 ? "greater than or equal to 128" : "less than or equal to 10240")")
            }
            definition.memoryMB = memory
        }
        if let description = string(body, "Description") { definition.description = description }
        if case .object? = body["Environment"] {
            var variables = [String: String]()
            if case .object(let members)? = body["Environment"]?["Variables"] {
                for member in members {
                    guard case .string(let value) = member.value else { throw LambdaError.invalid("Environment variable values must be strings.") }
                    variables[member.key] = value
                }
            }
            definition.environment = variables
        }
    }

    static func checkRole(_ role: String) throws(LambdaError) {
        let parts = role.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[2] == "iam", parts[4].count == 12, parts[4].allSatisfy(\.isNumber), parts[5].hasPrefix("role/") else {
            throw .invalid("1 validation error detected: Value '\(role)' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+")
        }
    }

    static func checkWritable(_ definition: FunctionDefinition) throws(LambdaError) {
        guard definition.origin == "api" else {
            throw .conflict("The function \(definition.name) is declared in sluice's config file; change it there.")
        }
    }

    /// The package bytes of `Code.ZipFile` (base64).
    static func zip(_ code: JSONValue?) throws(LambdaError) -> [UInt8] {
        guard let code else { throw .invalid("Code is a mandatory parameter.") }
        if code["S3Bucket"] != nil || code["ImageUri"] != nil {
            throw .invalid("sluice takes function code as Code.ZipFile only (no S3 or container images).")
        }
        guard case .string(let text)? = code["ZipFile"], let data = Data(base64Encoded: text), !data.isEmpty else {
            throw .invalid("Please provide a source for function code (Code.ZipFile, base64).")
        }
        return Array(data)
    }

    func configuration(_ definition: FunctionDefinition) -> String {
        let variables = definition.environment.keys.sorted().map { ($0, JSONText.quoted(definition.environment[$0]!)) }
        let handler = definition.executor == .runtime ? definition.handler : (definition.handler.isEmpty ? definition.executor.rawValue : definition.handler)
        var members: [(String, String)] = [
            ("FunctionName", JSONText.quoted(definition.name)),
            ("FunctionArn", JSONText.quoted(host.arn(definition.name))),
            ("Runtime", JSONText.quoted(definition.runtime)),
            ("Role", JSONText.quoted(definition.role.isEmpty ? "arn:aws:iam::\(host.account):role/sluice-local" : definition.role)),
            ("Handler", JSONText.quoted(handler)),
            ("CodeSize", String(definition.codeSize)),
            ("Description", JSONText.quoted(definition.description)),
            ("Timeout", String(definition.timeoutSeconds)),
            ("MemorySize", String(definition.memoryMB)),
            ("LastModified", JSONText.quoted(Self.lastModified(definition.lastModified))),
            ("CodeSha256", JSONText.quoted(definition.codeSha256)),
            ("Version", "\"$LATEST\""),
        ]
        if !variables.isEmpty { members.append(("Environment", "{\"Variables\":\(JSONText.object(variables))}")) }
        members += [
            ("TracingConfig", "{\"Mode\":\"PassThrough\"}"),
            ("RevisionId", JSONText.quoted(definition.revisionId.isEmpty ? "00000000-0000-0000-0000-000000000000" : definition.revisionId)),
            ("State", "\"Active\""),
            ("LastUpdateStatus", "\"Successful\""),
            ("PackageType", "\"Zip\""),
            ("Architectures", "[\"x86_64\"]"),
            ("EphemeralStorage", "{\"Size\":512}"),
            ("SnapStart", "{\"ApplyOn\":\"None\",\"OptimizationStatus\":\"Off\"}"),
            ("LoggingConfig", JSONText.object([("LogFormat", "\"Text\""), ("LogGroup", JSONText.quoted("/aws/lambda/\(definition.name)"))])),
        ]
        return JSONText.object(members)
    }

    /// `2024-01-01T12:34:56.789+0000`, as Lambda prints LastModified.
    static func lastModified(_ millis: Millis) -> String {
        String(AWSTime.iso8601(millis).dropLast()) + "+0000"
    }

    // MARK: Invoke

    func invoke(_ name: String, request: Request, body: [UInt8], requestId: String) async throws -> Response {
        let type = request.headers[HTTPField.Name("X-Amz-Invocation-Type")!] ?? "RequestResponse"
        let logType = request.headers[HTTPField.Name("X-Amz-Log-Type")!] ?? "None"
        let definition = try host.lookup(name)
        guard logType == "None" || logType == "Tail" else {
            throw LambdaError.invalid("1 validation error detected: Value '\(logType)' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [Tail, None]")
        }
        var clientContext: String?
        if let encoded = request.headers[HTTPField.Name("X-Amz-Client-Context")!] {
            guard let data = Data(base64Encoded: encoded), let text = String(data: data, encoding: .utf8), (try? JSONReader.parse(text)) != nil else {
                throw LambdaError("InvalidRequestContentException", 400, "Client context must be a valid Base64-encoded JSON object.")
            }
            clientContext = text
        }
        switch type {
        case "RequestResponse":
            guard body.count <= Self.maxSyncPayload else {
                throw LambdaError.tooLarge("Request must be smaller than \(Self.maxSyncPayload) bytes for the InvokeFunction operation")
            }
            let payload = try Self.payload(body)
            let outcome = try await host.invoke(definition.name, payload: Array(payload.utf8), clientContext: clientContext)
            var extra: [(String, String)] = [("X-Amz-Executed-Version", "$LATEST")]
            let responseBody: [UInt8]
            switch outcome.result {
            case .success(let bytes): responseBody = bytes
            case .functionError(_, let bytes):
                responseBody = bytes
                extra.append(("X-Amz-Function-Error", "Unhandled"))
            }
            if logType == "Tail" {
                let tail = Array(outcome.log.utf8.suffix(4096))
                extra.append(("X-Amz-Log-Result", Data(tail).base64EncodedString()))
            }
            return Self.bytes(200, responseBody, requestId: outcome.requestId, extra: extra)
        case "Event":
            guard body.count <= Self.maxAsyncPayload else {
                throw LambdaError.tooLarge("Request must be smaller than \(Self.maxAsyncPayload) bytes for the InvokeFunction operation")
            }
            let id = try await host.invokeAsync(definition.name, payload: try Self.payload(body))
            return Self.json(202, "", requestId: id)
        case "DryRun":
            _ = try Self.payload(body)
            return Self.json(204, "", requestId: requestId)
        default:
            throw LambdaError.invalid("1 validation error detected: Value '\(type)' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]")
        }
    }

    /// The payload as text: JSON, `{}` when empty.
    static func payload(_ body: [UInt8]) throws(LambdaError) -> String {
        guard !body.isEmpty else { return "{}" }
        do {
            _ = try JSONReader.parse(bytes: body)
        } catch {
            throw LambdaError("InvalidRequestContentException", 400, "Could not parse request body into json: Could not parse payload into json: \(error.reason)")
        }
        return String(decoding: body, as: UTF8.self)
    }

    // MARK: Event source mappings

    static let streamOnly = ["StartingPosition", "StartingPositionTimestamp", "ParallelizationFactor", "BisectBatchOnFunctionError",
                             "MaximumRetryAttempts", "MaximumRecordAgeInSeconds", "DestinationConfig", "TumblingWindowInSeconds", "Topics", "Queues"]

    func createMapping(_ body: JSONValue, requestId: String) async throws -> Response {
        let functionName = try Self.required(body, "FunctionName")
        guard let source = Self.string(body, "EventSourceArn") else {
            throw LambdaError.invalid("Unrecognized event source, must be kinesis, dynamodb stream, sqs, msk or kafka.")
        }
        for name in Self.streamOnly where body[name] != nil {
            throw LambdaError.invalid("Unsupported \(name) parameter for SQS event sources.")
        }
        var mapping = MappingConfig(uuid: Identifiers.uuid(), functionName: functionName, eventSourceArn: source,
                                    lastModified: SystemClock().now(), origin: "api")
        try Self.applyMapping(body, to: &mapping)
        let created = try await mappings.create(mapping)
        return Self.json(202, mappings.json(created, state: created.enabled ? "Creating" : "Disabled"), requestId: requestId)
    }

    func updateMapping(_ uuid: String, _ body: JSONValue, requestId: String) async throws -> Response {
        for name in Self.streamOnly where body[name] != nil {
            throw LambdaError.invalid("Unsupported \(name) parameter for SQS event sources.")
        }
        let (before, after) = try await mappings.update(uuid) { (mapping: inout MappingConfig) throws(LambdaError) in
            if let name = Self.string(body, "FunctionName") { mapping.functionName = name }
            try Self.applyMapping(body, to: &mapping)
        }
        let state = before.enabled == after.enabled ? "Updating" : (after.enabled ? "Enabling" : "Disabling")
        return Self.json(202, mappings.json(after, state: state), requestId: requestId)
    }

    /// The settable members of a mapping's create or update.
    static func applyMapping(_ body: JSONValue, to mapping: inout MappingConfig) throws(LambdaError) {
        if let enabled = body["Enabled"] {
            guard case .bool(let value) = enabled else { throw .invalid("Enabled must be true or false.") }
            mapping.enabled = value
        }
        if body["BatchSize"] != nil {
            guard let size = int(body, "BatchSize") else { throw .invalid("BatchSize must be a number.") }
            guard size >= 1 else {
                throw .invalid("1 validation error detected: Value '\(size)' at 'batchSize' failed to satisfy constraint: Member must have value greater than or equal to 1")
            }
            mapping.batchSize = size
        }
        if body["MaximumBatchingWindowInSeconds"] != nil {
            guard let window = int(body, "MaximumBatchingWindowInSeconds"), window >= 0 else {
                throw .invalid("1 validation error detected: Value at 'maximumBatchingWindowInSeconds' failed to satisfy constraint: Member must have value greater than or equal to 0")
            }
            mapping.batchingWindowSeconds = window
        }
        if let types = body["FunctionResponseTypes"] {
            guard case .array(let items) = types else { throw .invalid("FunctionResponseTypes must be a list.") }
            var report = false
            for item in items {
                guard case .string("ReportBatchItemFailures") = item else {
                    throw .invalid("1 validation error detected: Value '[\(item.tokenText)]' at 'functionResponseTypes' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [ReportBatchItemFailures]]")
                }
                report = true
            }
            mapping.reportBatchItemFailures = report
        }
        if let scaling = body["ScalingConfig"] {
            if case .object(let members) = scaling, members.isEmpty {
                mapping.maximumConcurrency = nil
            } else {
                guard let value = int(scaling, "MaximumConcurrency") else { throw .invalid("ScalingConfig needs MaximumConcurrency (a whole number).") }
                mapping.maximumConcurrency = value
            }
        }
        if let criteria = body["FilterCriteria"] {
            var patterns = [String]()
            if case .array(let filters)? = criteria["Filters"] {
                for filter in filters {
                    guard case .string(let pattern)? = filter["Pattern"] else { throw .invalid("Invalid filter pattern definition.") }
                    patterns.append(pattern)
                }
            }
            mapping.filters = patterns
        }
    }

    func listMappings(_ query: [String: String], requestId: String) throws(LambdaError) -> Response {
        let all = try mappings.list(functionName: query["FunctionName"], eventSourceArn: query["EventSourceArn"])
        let (page, next) = try Self.page(all, marker: query["Marker"], maxItems: query["MaxItems"], limit: 10_000)
        var members = [("EventSourceMappings", "[" + page.map { mappings.json($0) }.joined(separator: ",") + "]")]
        if let next { members.append(("NextMarker", JSONText.quoted(next))) }
        return Self.json(200, JSONText.object(members), requestId: requestId)
    }

    // MARK: Helpers

    static func page<T>(_ items: [T], marker: String?, maxItems: String?, limit: Int) throws(LambdaError) -> ([T], String?) {
        let start = marker.flatMap { Int($0) } ?? 0
        if let marker, Int(marker) == nil || start < 0 { throw .invalid("Invalid Marker: \(marker)") }
        var size = 50
        if let maxItems {
            guard let n = Int(maxItems), (1...limit).contains(n) else {
                throw .invalid("1 validation error detected: Value '\(maxItems)' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and \(limit)")
            }
            size = n
        }
        let slice = Array(items.dropFirst(start).prefix(size))
        let next = start + slice.count < items.count ? String(start + slice.count) : nil
        return (slice, next)
    }

    /// `name` with a `?Qualifier=` appended as `name:qualifier`.
    static func qualified(_ name: String, _ query: [String: String]) -> String {
        guard let qualifier = query["Qualifier"], !qualifier.isEmpty, !name.contains(":\(qualifier)") else { return name }
        return "\(name):\(qualifier)"
    }

    /// The query string's parameters (none when it is malformed).
    static func query(_ text: String?) -> [String: String] {
        (try? QueryParams.decodeForm(text ?? "")) ?? [:]
    }

    static func object(_ body: [UInt8]) throws(LambdaError) -> JSONValue {
        if body.isEmpty { return .object([]) }
        guard let value = try? JSONReader.parse(bytes: body), value.isObject else {
            throw LambdaError("SerializationException", 400, "The request body is not a JSON object.")
        }
        return value
    }

    static func string(_ body: JSONValue, _ key: String) -> String? {
        if case .string(let value)? = body[key] { return value }
        return nil
    }

    static func int(_ body: JSONValue, _ key: String) -> Int? {
        if case .number(let value, _)? = body[key], value == value.rounded(), abs(value) < 1e15 { return Int(value) }
        return nil
    }

    static func required(_ body: JSONValue, _ key: String) throws(LambdaError) -> String {
        guard let value = string(body, key), !value.isEmpty else {
            throw .invalid("1 validation error detected: Value null at '\(key.prefix(1).lowercased() + key.dropFirst())' failed to satisfy constraint: Member must not be null")
        }
        return value
    }

    static func json(_ status: Int, _ body: String, requestId: String, extra: [(String, String)] = []) -> Response {
        HTTPReply.make(status: status, contentType: "application/json", body: body, requestId: requestId, extra: extra)
    }

    static func bytes(_ status: Int, _ body: [UInt8], requestId: String, extra: [(String, String)]) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[HTTPField.Name("x-amzn-RequestId")!] = requestId
        for (name, value) in extra { headers[HTTPField.Name(name)!] = value }
        return Response(status: .init(code: status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func error(_ error: LambdaError, requestId: String) -> Response {
        let key = error.status == 404 ? "Message" : "message"
        return json(error.status, JSONText.object([("Type", "\"User\""), (key, JSONText.quoted(error.message))]), requestId: requestId,
                    extra: [("x-amzn-ErrorType", error.code)])
    }
}
