import Dispatch
import Hummingbird
import Metrics
import Synchronization

/// Counts the API's requests by route, method and status, and times them,
/// under Prometheus's names: `railyard_http_requests_total` and
/// `railyard_http_request_duration_seconds`. A path no route matches counts
/// as `unmatched`, so that arbitrary paths do not make new series.
struct RequestMetricsMiddleware: RouterMiddleware {
    typealias Context = RailyardRequestContext

    private let meters = Meters()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = DispatchTime.now().uptimeNanoseconds
        do {
            let response = try await next(request, context)
            record(context.endpointPath, request.method, status: Int(response.status.code), since: started)
            return response
        } catch {
            let status = (error as? any HTTPResponseError).map { Int($0.status.code) } ?? 500
            record(context.endpointPath, request.method, status: status, since: started)
            throw error
        }
    }

    private func record(_ route: String?, _ method: HTTPRequest.Method, status: Int, since started: UInt64) {
        // Hummingbird names a path no route matched "NotFound".
        let route = route.flatMap { $0 == "NotFound" ? nil : $0 } ?? "unmatched"
        let (counter, timer) = meters.for(route: route, method: method.rawValue, status: status)
        counter.increment()
        timer.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - started))
    }

    /// One counter and timer per series, made once (the factory's lookup costs more than counting).
    private final class Meters: Sendable {
        struct Key: Hashable {
            var route: String
            var method: String
            var status: Int
        }
        private let made = Mutex<[Key: (Counter, Timer)]>([:])

        func `for`(route: String, method: String, status: Int) -> (Counter, Timer) {
            let key = Key(route: route, method: method, status: status)
            return made.withLock { made in
                if let meters = made[key] { return meters }
                let meters = (Counter(label: "railyard_http_requests_total", dimensions: [("route", route), ("method", method), ("status", String(status))]),
                              Timer(label: "railyard_http_request_duration_seconds", dimensions: [("route", route), ("method", method)],
                                    preferredDisplayUnit: .seconds))
                made[key] = meters
                return meters
            }
        }
    }
}
