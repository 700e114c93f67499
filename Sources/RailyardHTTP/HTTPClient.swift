import CLibCurl
import FoundationEssentials

/// A request to send.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: Data?

    public init(method: String, url: String, headers: [(String, String)] = [], body: Data? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// A response received.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names lower-cased.
    public var headers: [String: String]
    public var body: Data
}

/// Why a request got no response.
public enum HTTPClientError: Error, Sendable, CustomStringConvertible {
    case badURL(String)
    case dns(String)
    case connect(String)
    case tls(String)
    case timeout(String)
    case transfer(String)

    public var description: String {
        switch self {
        case .badURL(let detail): "not a usable URL: \(detail)"
        case .dns(let detail): "cannot resolve the server's host name: \(detail)"
        case .connect(let detail): "cannot connect to the server: \(detail)"
        case .tls(let detail): "TLS failed: \(detail) (check the URL's scheme, or pass --cacert FILE for a private CA)"
        case .timeout(let detail): "the server did not answer in time: \(detail) (raise --timeout)"
        case .transfer(let detail): "the request failed: \(detail)"
        }
    }
}

/// A small blocking HTTP client on libcurl: connect and total timeouts, TLS
/// verification always on (optionally against `caFile`), and the usual
/// proxy environment variables (`https_proxy`, `http_proxy`, `no_proxy`),
/// which libcurl reads itself.
public struct HTTPClient: Sendable {
    public var connectTimeout: Double
    public var totalTimeout: Double
    public var caFile: String?
    /// Never through a proxy, whatever the environment says.
    public var direct: Bool

    public init(connectTimeout: Double = 5, totalTimeout: Double = 30, caFile: String? = nil, direct: Bool = false) {
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
        self.caFile = caFile
        self.direct = direct
    }

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    public func send(_ request: HTTPRequest) throws(HTTPClientError) -> HTTPResponse {
        let received = ResponseBuffer()
        try perform(request, into: received, streaming: false)
        return received.response
    }

    /// Sends a request whose answer goes on (an event stream): a 2xx body is
    /// handed to `onData` as it arrives, until it ends, `onData` returns
    /// false or `shouldStop` (asked about once a second) says so. Other
    /// answers are returned whole. A stream silent for `silence` seconds fails.
    public func stream(_ request: HTTPRequest, silence: Double, onData: @escaping ([UInt8]) -> Bool,
                       shouldStop: @escaping () -> Bool) throws(HTTPClientError) -> (response: HTTPResponse, stopped: Bool) {
        let received = ResponseBuffer()
        received.onData = onData
        received.shouldStop = shouldStop
        received.silence = silence
        do {
            try perform(request, into: received, streaming: true)
        } catch {
            guard received.stopped else { throw error }
        }
        return (received.response, received.stopped)
    }

    private func perform(_ request: HTTPRequest, into received: ResponseBuffer, streaming: Bool) throws(HTTPClientError) {
        _ = Self.globalInit
        guard let handle = curl_easy_init() else { throw .transfer("curl_easy_init failed") }
        defer { curl_easy_cleanup(handle) }
        let context = Unmanaged.passUnretained(received).toOpaque()
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        for (name, value) in request.headers + [("Expect", "")] {
            headerList = curl_slist_append(headerList, "\(name): \(value)")
        }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let code: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { errors in
            railyard_curl_setopt_string(handle, CURLOPT_URL, request.url)
            railyard_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method)
            railyard_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
            if direct { railyard_curl_setopt_string(handle, CURLOPT_NOPROXY, "*") }
            railyard_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(connectTimeout * 1000))
            if streaming {
                // No end is due: a stream that stops talking (heartbeats included) is dead.
                railyard_curl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1)
                railyard_curl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, max(1, Int(received.silence)))
                railyard_curl_setopt_long(handle, CURLOPT_NOPROGRESS, 0)
                railyard_curl_setopt_progress(handle) { context, _, _, _, _ in
                    guard let context else { return 0 }
                    let buffer = Unmanaged<ResponseBuffer>.fromOpaque(context).takeUnretainedValue()
                    guard buffer.shouldStop?() == true else { return 0 }
                    buffer.stopped = true
                    return 1
                }
                railyard_curl_setopt_pointer(handle, CURLOPT_XFERINFODATA, context)
            } else {
                railyard_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(totalTimeout * 1000))
            }
            railyard_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
            railyard_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
            railyard_curl_setopt_long(handle, CURLOPT_PROTOCOLS, Int(CURLPROTO_HTTP | CURLPROTO_HTTPS))
            if let caFile { railyard_curl_setopt_string(handle, CURLOPT_CAINFO, caFile) }
            railyard_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)
            railyard_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errors.baseAddress)
            railyard_curl_setopt_callback(handle, CURLOPT_WRITEFUNCTION) { data, size, count, context in
                guard let data, let context else { return 0 }
                let bytes = UnsafeRawBufferPointer(start: data, count: size * count)
                return Unmanaged<ResponseBuffer>.fromOpaque(context).takeUnretainedValue().receive(bytes) ? size * count : 0
            }
            railyard_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context)
            railyard_curl_setopt_callback(handle, CURLOPT_HEADERFUNCTION) { data, size, count, context in
                guard let data, let context else { return 0 }
                let line = String(decoding: UnsafeRawBufferPointer(start: data, count: size * count), as: UTF8.self)
                Unmanaged<ResponseBuffer>.fromOpaque(context).takeUnretainedValue().addHeader(line)
                return size * count
            }
            railyard_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, context)
            if let body = request.body {
                return body.withUnsafeBytes { bytes in
                    railyard_curl_setopt_offset(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bytes.count))
                    railyard_curl_setopt_pointer(handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress))
                    return curl_easy_perform(handle)
                }
            }
            return curl_easy_perform(handle)
        }
        var status = 0
        railyard_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        received.status = status
        guard code == CURLE_OK else {
            let detail = String(cString: errorBuffer).isEmpty ? String(cString: curl_easy_strerror(code)) : String(cString: errorBuffer)
            throw Self.error(for: code, detail: detail)
        }
    }

    static func error(for code: CURLcode, detail: String) -> HTTPClientError {
        switch code {
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return .badURL(detail)
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .dns(detail)
        case CURLE_COULDNT_CONNECT:
            return .connect(detail)
        case CURLE_OPERATION_TIMEDOUT:
            return .timeout(detail)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
             CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ENGINE_NOTFOUND:
            return .tls(detail)
        default:
            return .transfer(detail)
        }
    }
}

/// Where libcurl's callbacks put the response.
final class ResponseBuffer {
    var body = Data()
    var headers: [String: String] = [:]
    var status = 0
    private var lineStatus = 0
    /// For a stream: where a 2xx body goes, and whether to stop.
    var onData: (([UInt8]) -> Bool)?
    var shouldStop: (() -> Bool)?
    var silence = 45.0
    var stopped = false

    var response: HTTPResponse { HTTPResponse(status: status, headers: headers, body: body) }

    func receive(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let onData, (200..<300).contains(lineStatus) else {
            body.append(bytes.bindMemory(to: UInt8.self))
            return true
        }
        guard onData(Array(bytes)) else {
            stopped = true
            return false
        }
        return true
    }

    func addHeader(_ line: String) {
        if line.hasPrefix("HTTP/") {  // a new response (after a 100 or a redirect)
            headers.removeAll()
            lineStatus = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = line[..<colon].lowercased()
        let value = String(line[line.index(after: colon)...].drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
        headers[name] = value
    }
}
