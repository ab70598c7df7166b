import AsyncIO

/// A connected pair over loopback, watched by `reactor`: what the client writes the server
/// reads, and back.
public func makeConnectedPair(reactor: Reactor = .shared) async throws -> (client: TCPConnection, server: TCPConnection) {
    let listener = try TCPListener(host: "127.0.0.1", port: 0, reactor: reactor)
    async let accepted = listener.accept()
    let client = try await TCPConnection.connect(to: listener.localAddress, reactor: reactor)
    let server = try await accepted
    listener.close()
    return (client, server)
}
