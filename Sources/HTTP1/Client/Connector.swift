import AsyncIO

/// Opens connections to an origin: resolves the name off the cooperative pool, tries each
/// address in turn, and for https runs the TLS handshake with the host name verified.
struct Connector: Sendable {
    let tls: TLSContext?
    /// `HTTPClient.Configuration.admitsAddress`.
    var admits: (@Sendable (SocketAddress) -> Bool)? = nil

    /// A connection to `origin` whose socket `reactor` watches.
    func connect(to origin: Origin, reactor: Reactor, deadline: Deadline) async throws(HTTPClientError) -> any ByteStream {
        let addresses: [SocketAddress]
        do {
            addresses = try await NameResolver.resolve(host: origin.host, port: origin.port)
        } catch .cancelled {
            throw .cancelled
        } catch {
            throw .connectFailed(origin: origin.description, error)
        }
        if let admits, let refused = addresses.first(where: { !admits($0) }) {
            throw .addressRefused(origin: origin.description, address: refused.ip)
        }
        var lastError = IOError.nameResolution(host: origin.host, reason: "no addresses")
        for address in addresses {
            let connection: TCPConnection
            do {
                connection = try await TCPConnection.connect(to: address, deadline: deadline, reactor: reactor)
            } catch .cancelled {
                throw .cancelled
            } catch .timedOut {
                throw .timedOut("connect to \(origin)")
            } catch {
                lastError = error
                continue
            }
            guard origin.scheme == .https else { return connection }
            guard let tls else { throw .invalidRequest("https is not configured") }
            do {
                return try await TLSStream.connect(over: connection, context: tls, serverName: origin.host, deadline: deadline)
            } catch {
                throw .from(ByteStreamError(error), timing: "TLS handshake with \(origin)")
            }
        }
        throw .connectFailed(origin: origin.description, lastError)
    }
}
