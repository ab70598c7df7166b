/// A server a test starts: `stop()` shuts it down and returns once it has stopped.
public protocol StoppableServer: Sendable {
    func stop() async
}

/// Runs `body` with `server`, then stops the server whether `body` returned or threw (a
/// failed `#require`), so no test leaves a server running. Every `with…` helper of the test
/// targets (`withRunningServer`, `withScriptedUpstream`, `withRunningProxy`) ends here.
public func withStopping<Server: StoppableServer, Result>(_ server: Server, _ body: (Server) async throws -> Result) async throws -> Result {
    let result: Result
    do {
        result = try await body(server)
    } catch {
        await server.stop()
        throw error
    }
    await server.stop()
    return result
}
