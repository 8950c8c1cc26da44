import Foundation
import Testing
@testable import SluiceServer
@testable import SluiceStorage

@Suite struct ConfigFileTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Every YAML file under config/ and examples/ must load.
    static func shippedFiles() -> [String] {
        var files = [String]()
        for folder in ["config", "examples"] {
            let base = root.appendingPathComponent(folder).path
            guard let walker = FileManager.default.enumerator(atPath: base) else { continue }
            for case let path as String in walker where (path.hasSuffix(".yaml") || path.hasSuffix(".yml"))
                && (folder == "config" || path.hasSuffix("sluice.yaml")) {
                files.append(base + "/" + path)
            }
        }
        return files.sorted()
    }

    @Test func shippedConfigFilesLoad() throws {
        let files = Self.shippedFiles()
        #expect(files.contains { $0.hasSuffix("config/sluice.yaml") })
        for file in files {
            _ = try ConfigFile.load(path: file)
        }
    }

    @Test func fullExample() throws {
        let yaml = """
        server:
          host: 0.0.0.0
          port: 0
          data-dir: /tmp/x
          account-id: "123456789012"
          region: eu-west-1
          durability: relaxed
          enable-reset: true
        queues:
          - name: orders
            attributes:
              VisibilityTimeout: 60
            redrive:
              dead-letter-queue: orders-dlq
              max-receive-count: 5
            tags:
              team: billing
          - name: orders-dlq
        """
        let config = try ConfigFile.parse(yaml, file: "t.yaml")
        #expect(config.host == "0.0.0.0")
        #expect(config.port == 0)
        #expect(config.durability == .relaxed)
        #expect(config.enableReset == true)
        #expect(config.queues.map(\.name) == ["orders", "orders-dlq"])
        #expect(config.queues[0].attributes == ["VisibilityTimeout": "60"])
        #expect(config.queues[0].deadLetterQueue == "orders-dlq")
        #expect(config.queues[0].maxReceiveCount == 5)
        #expect(config.queues[0].tags == ["team": "billing"])
    }

    @Test(arguments: [
        ("server:\n  prot: 1\n", 2, "unknown server key 'prot'"),
        ("server:\n  port: 99999\n", 2, "'port' must be between"),
        ("queues:\n  - name: a\n    colour: red\n", 3, "unknown queue key 'colour'"),
        ("queues:\n  - attributes: {}\n", 2, "needs a 'name'"),
        ("queues:\n  - name: a\n    redrive:\n      dead-letter-queue: b\n", 2, "not declared"),
        ("server: [1, 2\n", 2, "not valid YAML"),
        ("queues:\n  - name: a\n  - name: a\n", 3, "declared twice"),
        ("server:\n  durability: sometimes\n", 2, "'durability' must be"),
        ("other: 1\n", 1, "unknown key 'other'"),
        ("functions:\n  - name: f\n    command: [x]\n", 2, "needs 'executor'"),
        ("functions:\n  - name: f\n    executor: command\n", 2, "needs 'command'"),
        ("functions:\n  - name: f\n    executor: http\n    url: ftp://x\n", 2, "needs 'url'"),
        ("functions:\n  - name: f\n    executor: command\n    command: [x]\n    timeout: 901\n", 2, "timeout must be"),
        ("functions:\n  - name: f\n    executor: command\n    command: [x]\n    colour: red\n", 5, "unknown function key 'colour'"),
        ("functions:\n  - name: f\n    executor: command\n    command: [x]\n    events:\n      - queue: nope\n", 6, "names queue 'nope'"),
        ("functions:\n  - name: f\n    executor: command\n    command: [x]\n    events:\n      - batch-size: 5\n", 6, "exactly one of 'queue'"),
        ("topics:\n  - name: t\n    subscriptions:\n      - function: g\n", 4, "names function 'g'"),
        ("server:\n  async-retry-delay: -1\n", 2, "'async-retry-delay' must be"),
        ("functions:\n  - name: f\n    executor: runtime\n    handler: a.b\n    code: /nonexistent/sluice-code\n", 2, "does not exist"),
    ])
    func badFilesNameLineAndProblem(yaml: String, line: Int, problem: String) {
        do {
            _ = try ConfigFile.parse(yaml, file: "bad.yaml")
            Issue.record("expected an error for \(yaml)")
        } catch let error as ConfigError {
            #expect(error.file == "bad.yaml")
            #expect(error.line == line, "\(error)")
            #expect(error.description.contains(problem), "\(error)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func functionsAndMappings() throws {
        let yaml = """
        server:
          async-retry-delay: 1.5
        queues:
          - name: orders
        topics:
          - name: t
            subscriptions:
              - function: worker
        functions:
          - name: worker
            executor: runtime
            handler: app.handler
            code: /tmp
            timeout: 10
            concurrency: 3
            retries: 1
            environment: {A: b}
            events:
              - queue: orders
                batch-size: 50
                batching-window: 2
                maximum-concurrency: 2
                report-batch-item-failures: true
                filters:
                  - {body: {kind: [a]}}
                  - '{"attributes": {"SenderId": ["x"]}}'
          - name: hook
            executor: http
            url: http://127.0.0.1:9/invoke
        """
        let config = try ConfigFile.parse(yaml, file: "/etc/sluice/f.yaml")
        #expect(config.asyncRetryDelay == 1.5)
        #expect(config.topics[0].subscriptions[0].function == "worker")
        let worker = config.functions[0]
        #expect(worker.definition.executor == .runtime)
        #expect(worker.definition.runtime == "python3.12")
        #expect(worker.definition.codeDirectory == "/tmp")
        #expect(worker.definition.timeoutSeconds == 10)
        #expect(worker.definition.concurrency == 3)
        #expect(worker.definition.retries == 1)
        #expect(worker.definition.environment == ["A": "b"])
        let event = worker.events[0]
        #expect(event.queue == "orders")
        #expect(event.batchSize == 50)
        #expect(event.batchingWindow == 2)
        #expect(event.maximumConcurrency == 2)
        #expect(event.reportBatchItemFailures)
        #expect(event.filters == ["{\"body\":{\"kind\":[\"a\"]}}", "{\"attributes\": {\"SenderId\": [\"x\"]}}"])
        #expect(config.functions[1].definition.url == "http://127.0.0.1:9/invoke")
    }

    @Test func precedenceFlagsOverEnvironmentOverFile() throws {
        let path = NSTemporaryDirectory() + "sluice-config-\(UUID().uuidString).yaml"
        try "server:\n  port: 1111\n  region: eu-west-1\n  data-dir: /from/file\n".write(toFile: path, atomically: true, encoding: .utf8)
        let config = try ServerConfiguration.resolve(.init(port: 3333, configPath: path),
                                                     environment: ["SLUICE_PORT": "2222", "SLUICE_REGION": "ap-south-1"])
        #expect(config.port == 3333)
        #expect(config.region == "ap-south-1")
        #expect(config.dataDir == "/from/file")
        #expect(config.accountId == "000000000000")
        #expect(throws: ConfigError.self) { try ServerConfiguration.resolve(.init(), environment: ["SLUICE_PORT": "x"]) }
        #expect(throws: ConfigError.self) { try ServerConfiguration.resolve(.init(accountId: "12")) }
    }
}
