import AsyncIO

/// A connected pair over loopback: what the client writes the server reads, and back.
public func makeConnectedPair() async throws -> (client: TCPConnection, server: TCPConnection) {
    let listener = try TCPListener(host: "127.0.0.1", port: 0)
    async let accepted = listener.accept()
    let client = try await TCPConnection.connect(to: listener.localAddress)
    let server = try await accepted
    listener.close()
    return (client, server)
}
