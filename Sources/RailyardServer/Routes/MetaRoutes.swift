import Hummingbird

/// `GET /openapi.yaml` (public) and `GET /metrics` (read).
struct MetaRoutes {
    let state: ServerState

    func registerPublic(on router: Router<RailyardRequestContext>) {
        router.get("openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"],
                     body: .init(byteBuffer: ByteBuffer(bytes: PackageResources.openapi_yaml)))
        }
    }

    func registerProtected(on group: RouterGroup<RailyardRequestContext>) {
        group.get("metrics") { _, _ in
            await state.refreshGauges()
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: state.registry.emitToBuffer())))
        }
    }
}
