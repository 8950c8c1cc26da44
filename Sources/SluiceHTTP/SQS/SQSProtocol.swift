import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SluiceQueues
import SluiceWire

/// Which SQS wire protocol a request speaks; chosen once per request.
enum SQSProtocol {
    case json
    case query

    static let namespace = "http://queue.amazonaws.com/doc/2012-11-05/"

    /// Runs `action` and encodes its answer or error in this protocol.
    func respond(action name: String, call: @autoclosure () throws(QueueError) -> SQSCall, requestId: String, logger: Logger) async -> Response {
        do {
            guard let action = SQSActions.all[name] else {
                throw self == .json
                    ? QueueError(.invalidAction, "The action \(name) is not valid for this web service.")
                    : QueueError(.invalidAction, "The action \(name) is not valid for this endpoint.")
            }
            let fields = try await action(try call())
            return success(action: name, fields: fields, requestId: requestId)
        } catch let error as QueueError {
            if error.code == .internalFailure {
                logger.error("SQS \(name) failed: \(error.message)", metadata: ["request": "\(requestId)"])
            } else {
                logger.debug("SQS \(name) rejected: \(error)", metadata: ["request": "\(requestId)"])
            }
            return failure(error, requestId: requestId)
        } catch {
            return failure(QueueError(.internalFailure, "\(error)"), requestId: requestId)
        }
    }

    func success(action: String, fields: [WireField]?, requestId: String) -> Response {
        switch self {
        case .json:
            return HTTPReply.make(status: 200, contentType: "application/x-amz-json-1.0", body: JSONWriter.object(fields ?? []), requestId: requestId)
        case .query:
            return HTTPReply.make(status: 200, contentType: "text/xml",
                                  body: XMLWriter.response(action: action, namespace: Self.namespace, fields: fields, requestId: requestId),
                                  requestId: requestId)
        }
    }

    func failure(_ error: QueueError, requestId: String) -> Response {
        let shape = SQSErrorTable.shape(for: error.code)
        switch self {
        case .json:
            var body = "{\"__type\":"
            JSONWriter.quote("com.amazonaws.sqs#\(shape.shape)", into: &body)
            body += ",\"message\":"
            JSONWriter.quote(error.message, into: &body)
            body += "}"
            return HTTPReply.make(status: shape.status, contentType: "application/x-amz-json-1.0", body: body, requestId: requestId,
                                  extra: [("x-amzn-query-error", "\(shape.queryCode);\(shape.fault)")])
        case .query:
            let body = XMLWriter.error(namespace: Self.namespace, type: shape.fault, code: shape.queryCode,
                                       message: SQSErrorTable.queryMessage(for: error), requestId: requestId)
            return HTTPReply.make(status: shape.status, contentType: "text/xml", body: body, requestId: requestId)
        }
    }
}

/// Builds responses.
enum HTTPReply {
    static func make(status: Int, contentType: String, body: String, requestId: String, extra: [(String, String)] = []) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[HTTPField.Name("x-amzn-RequestId")!] = requestId
        for (name, value) in extra { headers[HTTPField.Name(name)!] = value }
        var buffer = ByteBuffer()
        buffer.writeString(body)
        return Response(status: .init(code: status), headers: headers, body: ResponseBody(byteBuffer: buffer))
    }
}
