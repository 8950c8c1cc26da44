import Crypto
import Foundation
import SluiceCore

/// Zip packages of functions created through the API: kept in the data directory and
/// unpacked (with Python's zipfile, which the Python runtimes need anyway).
extension FunctionHost {
    /// Stores and unpacks `zip` for `name`; returns the code directory, the package's
    /// SHA-256 (base64) and its size.
    public func installZip(name: String, zip: [UInt8]) async throws(LambdaError) -> (directory: String, sha256: String, size: Int) {
        guard let root = directory else { throw .service("functions created through the API need a data directory") }
        guard zip.count >= 22, zip[0] == 0x50, zip[1] == 0x4b else {
            throw .invalid("Could not unzip uploaded file. Please check your file, then try to upload again.")
        }
        let sha = Data(SHA256.hash(data: zip)).base64EncodedString()
        let revision = Identifiers.uuid()
        let base = "\(root)/code/\(name)"
        let target = "\(base)/\(revision)"
        let archive = "\(base)/\(revision).zip"
        // Up to 50 MB: written on a dispatch thread, not on an event loop.
        let written: Result<Void, any Error> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: Result {
                    try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
                    try Data(zip).write(to: URL(fileURLWithPath: archive))
                })
            }
        }
        if case .failure(let error) = written { throw .service("cannot store the package: \(error)") }
        let status: Int32? = await withCheckedContinuation { continuation in
            do {
                _ = try Subprocess(argv: [Self.python, "-m", "zipfile", "-e", archive, target], environment: ProcessInfo.processInfo.environment,
                                   directory: nil, mergeOutput: true, onStdout: { _ in }, onStderr: { _ in },
                                   onExit: { continuation.resume(returning: $0) }).writeInputAndClose([])
            } catch {
                continuation.resume(returning: nil)
            }
        }
        guard status == 0 else {
            try? FileManager.default.removeItem(atPath: target)
            try? FileManager.default.removeItem(atPath: archive)
            throw status == nil ? .service("cannot run \(Self.python) to unpack the package") : .invalid("Could not unzip uploaded file. Please check your file, then try to upload again.")
        }
        // Older packages of this function are no longer needed.
        if let entries = try? FileManager.default.contentsOfDirectory(atPath: base) {
            for entry in entries where entry != revision && entry != "\(revision).zip" {
                try? FileManager.default.removeItem(atPath: "\(base)/\(entry)")
            }
        }
        return (target, sha, zip.count)
    }

    /// The stored package of an API-created function.
    public func package(of definition: FunctionDefinition) -> [UInt8]? {
        guard let code = definition.codeDirectory, definition.origin == "api" else { return nil }
        return FileManager.default.contents(atPath: code + ".zip").map(Array.init)
    }
}
