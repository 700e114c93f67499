import HTTPTypes
import Hummingbird

/// `GET /`, `/dashboard.css`, `/dashboard.js` and `/favicon.svg`: the dashboard, served
/// without a token (it holds no data; the API calls it makes need one).
/// Its policy lets it load nothing from anywhere else.
struct DashboardRoutes {
    static let policy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    func register(on router: Router<RailyardRequestContext>) {
        router.get("/") { _, _ in Self.asset(DashboardPage.html, type: "text/html; charset=utf-8") }
        router.get("dashboard.css") { _, _ in Self.asset(DashboardStyle.css, type: "text/css; charset=utf-8") }
        router.get("favicon.svg") { _, _ in Self.asset(DashboardPage.icon, type: "image/svg+xml") }
        router.get("dashboard.js") { _, _ in Self.asset(DashboardScript.javascript, type: "text/javascript; charset=utf-8") }
    }

    static func asset(_ text: String, type: String) -> Response {
        var headers: HTTPFields = [.contentType: type, .cacheControl: "no-cache", .contentSecurityPolicy: policy]
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
