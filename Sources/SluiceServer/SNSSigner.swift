import _CryptoExtras
import Crypto
import Foundation
import SluiceTopics
import X509

/// Signs SNS messages with an RSA key kept in the data directory, and a self-signed
/// certificate for it, served at ``certificatePath`` so subscribers can verify signatures.
final class SNSSigner: MessageSigner, @unchecked Sendable {
    let key: _RSA.Signing.PrivateKey
    let certificatePEM: String
    let certificatePath = "/_sluice/sns/SimpleNotificationService-sluice.pem"

    init(dataDir: String, region: String) throws {
        let keyPath = dataDir + "/sns-signing-key.pem"
        let certificatePath = dataDir + "/sns-signing-cert.pem"
        if let pem = try? String(contentsOfFile: keyPath, encoding: .utf8), let existing = try? _RSA.Signing.PrivateKey(pemRepresentation: pem),
           let certificate = try? String(contentsOfFile: certificatePath, encoding: .utf8) {
            key = existing
            certificatePEM = certificate
            return
        }
        key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let name = try DistinguishedName {
            CommonName("sns.\(region).amazonaws.com")
            OrganizationName("sluice")
        }
        let now = Date()
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(10 * 365 * 86400),
            issuer: name, subject: name, signatureAlgorithm: .sha256WithRSAEncryption, extensions: Certificate.Extensions(),
            issuerPrivateKey: Certificate.PrivateKey(key))
        certificatePEM = try certificate.serializeAsPEM().pemString
        try key.pemRepresentation.write(toFile: keyPath, atomically: true, encoding: .utf8)
        try certificatePEM.write(toFile: certificatePath, atomically: true, encoding: .utf8)
    }

    func sign(_ text: String, version: String) -> String {
        let bytes = Array(text.utf8)
        let signature: _RSA.Signing.RSASignature?
        if version == "2" {
            signature = try? key.signature(for: SHA256.hash(data: bytes), padding: .insecurePKCS1v1_5)
        } else {
            signature = try? key.signature(for: Insecure.SHA1.hash(data: bytes), padding: .insecurePKCS1v1_5)
        }
        return signature.map { Data($0.rawRepresentation).base64EncodedString() } ?? ""
    }
}
