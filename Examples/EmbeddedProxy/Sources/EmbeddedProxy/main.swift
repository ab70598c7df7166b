import ChutesProxy
import HTTP1

// Settings from the environment, as the command-line program reads them (PORT, CHUTES_API_KEY,
// MODEL_MAP, ...); the application may change any field after.
var configuration = try ProxyConfiguration(environment: ProxyConfiguration.processEnvironment())
configuration.maxTokensCap = configuration.maxTokensCap ?? 32768

// A route of the application's own, answered before the proxy's routes.
let whoami = ProxyRoute(method: "GET", path: "/whoami") { request in
    let caller = request.remoteAddress.map { "\($0)" } ?? "unknown"
    return HTTPResponse(status: .ok, contentType: "application/json", body: Array(#"{"app":"embedded","caller":"\#(caller)"}"#.utf8))
}

let proxy = try ProxyServer(configuration: configuration, routes: [whoami])
print("embedded proxy listening on \(configuration.host):\(proxy.port); try GET /whoami")
await proxy.run()
