/// An error of the Lambda API: its code (`x-amzn-ErrorType`), HTTP status and message.
public struct LambdaError: Error, Sendable, Equatable {
    public var code: String
    public var status: Int
    public var message: String

    public init(_ code: String, _ status: Int, _ message: String) {
        self.code = code
        self.status = status
        self.message = message
    }

    public static func invalid(_ message: String) -> LambdaError { LambdaError("InvalidParameterValueException", 400, message) }
    public static func notFound(_ message: String) -> LambdaError { LambdaError("ResourceNotFoundException", 404, message) }
    public static func conflict(_ message: String) -> LambdaError { LambdaError("ResourceConflictException", 409, message) }
    public static func badContent(_ message: String) -> LambdaError { LambdaError("InvalidRequestContentException", 400, message) }
    public static func service(_ message: String) -> LambdaError { LambdaError("ServiceException", 500, message) }
    public static func tooLarge(_ message: String) -> LambdaError { LambdaError("RequestTooLargeException", 413, message) }
}
