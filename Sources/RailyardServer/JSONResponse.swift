import Foundation
import RailyardAPI
import Hummingbird
import RailyardEngine

/// A JSON body encoded the way every Railyard JSON is (snake_case keys,
/// ISO 8601 dates with milliseconds).
struct JSONResponse<Value: Encodable & Sendable>: ResponseGenerator {
    var value: Value
    var status: HTTPResponse.Status = .ok
    var headers: HTTPFields = [:]

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let data = try APIJSON.encoder(compact: true).encode(value)
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
