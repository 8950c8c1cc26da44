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
