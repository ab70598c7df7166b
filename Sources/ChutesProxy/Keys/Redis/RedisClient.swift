import AsyncIO
import Locking

/// What a Redis command can fail with.
enum RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The connection failed or timed out.
    case io(IOError)
    /// The reply was not RESP.
    case malformed(String)
    /// Redis answered with an error.
    case replied(String)
    /// The host's name did not resolve in time.
    case unresolved(String)

    var description: String {
        switch self {
        case .io(let error): "\(error)"
        case .malformed(let problem): "a malformed reply: \(problem)"
        case .replied(let message): "Redis answered \(message)"
        case .unresolved(let reason): reason
        }
    }
}

/// A small Redis (or Valkey) client over the proxy's own sockets: commands go one at a time
/// on connections kept for reuse (at most `maxIdle` idle), each connect and each command
/// bounded by `timeout`, so a Redis that is down or stuck costs a request at most that long.
final class RedisClient: Sendable {
    let url: RedisURL
    let timeout: Duration
    private let idle = Mutex<[RedisConnection]>([])
    static let maxIdle = 16

    init(url: RedisURL, timeout: Duration) {
        self.url = url
        self.timeout = timeout
    }

    /// Sends one command and returns its reply; an error reply throws `.replied`.
    func run(_ words: [String]) async throws(RedisError) -> RESPValue {
        let connection = try await take()
        let reply: RESPValue
        do {
            reply = try await connection.send(RESP.command(words), deadline: .after(timeout))
        } catch {
            connection.close()
            throw error
        }
        giveBack(connection)
        if case .error(let message) = reply { throw .replied(message) }
        return reply
    }

    /// Closes the idle connections.
    func shutdown() {
        let connections = idle.withLock { idle in
            defer { idle = [] }
            return idle
        }
        for connection in connections { connection.close() }
    }

    private func take() async throws(RedisError) -> RedisConnection {
        if let connection = idle.withLock({ $0.popLast() }) { return connection }
        let deadline = Deadline.after(timeout)
        let address = try await resolve(deadline: deadline)
        let tcp: TCPConnection
        do {
            tcp = try await TCPConnection.connect(to: address, deadline: deadline)
        } catch {
            throw .io(error)
        }
        let connection = RedisConnection(tcp)
        do {
            if let password = url.password {
                _ = try await expectOK(connection.send(RESP.command(["AUTH"] + (url.user.map { [$0] } ?? []) + [password]), deadline: deadline))
            }
            if url.database != 0 { _ = try await expectOK(connection.send(RESP.command(["SELECT", String(url.database)]), deadline: deadline)) }
        } catch {
            connection.close()
            throw error
        }
        return connection
    }

    private func expectOK(_ reply: RESPValue) throws(RedisError) -> RESPValue {
        if case .error(let message) = reply { throw .replied(message) }
        return reply
    }

    private func giveBack(_ connection: RedisConnection) {
        let kept = idle.withLock { idle in
            guard idle.count < Self.maxIdle else { return false }
            idle.append(connection)
            return true
        }
        if !kept { connection.close() }
    }

    /// The address to connect to: an IP literal at once, a name through `NameResolver`,
    /// given up at `deadline` (a lookup that hangs must not hang the request).
    private func resolve(deadline: Deadline) async throws(RedisError) -> SocketAddress {
        if let literal = SocketAddress(ip: url.host, port: url.port) { return literal }
        let (host, port, remaining) = (url.host, url.port, deadline.remaining)
        let found: [SocketAddress]? = await withTaskGroup(of: [SocketAddress]?.self) { group in
            group.addTask { try? await NameResolver.resolve(host: host, port: port) }
            group.addTask {
                try? await Task.sleep(for: remaining)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let address = found?.first else { throw .unresolved("could not resolve \(host) within \(remaining)") }
        return address
    }
}

/// One connection to Redis, used by one task at a time (the client hands it out).
final class RedisConnection: Sendable {
    private let tcp: TCPConnection

    init(_ tcp: TCPConnection) {
        self.tcp = tcp
    }

    /// Writes a command and reads its one reply.
    func send(_ command: [UInt8], deadline: Deadline) async throws(RedisError) -> RESPValue {
        do {
            try await tcp.write(command, deadline: deadline)
        } catch {
            throw .io(error)
        }
        var received: [UInt8] = []
        while true {
            let bytes: [UInt8]
            do {
                bytes = try await tcp.read(deadline: deadline)
            } catch {
                throw .io(error)
            }
            guard !bytes.isEmpty else { throw .io(.closed) }
            received += bytes
            guard received.count <= RESP.maximumReplyBytes else { throw .malformed("a reply over 1 MiB") }
            do {
                if let (reply, consumed) = try RESP.parse(received[...]) {
                    // One command, one reply: anything after it means the stream is out of step.
                    guard consumed == received.count else { throw RedisError.malformed("bytes after the reply") }
                    return reply
                }
            } catch let error as RESP.ProtocolError {
                throw .malformed(error.problem)
            } catch let error as RedisError {
                throw error
            } catch {
                throw .malformed("\(error)")
            }
        }
    }

    func close() { tcp.close() }
}
