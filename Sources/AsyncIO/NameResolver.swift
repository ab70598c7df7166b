import Glibc
import Locking

/// Host-name resolution with `getaddrinfo`, which blocks, so it runs on a thread of its own
/// and never on the cooperative pool. IP literals are answered without a lookup.
public enum NameResolver {
    /// The addresses of `host` (a DNS name, "localhost", or an IPv4/IPv6 literal, brackets
    /// allowed) with `port`, in the order the system prefers. Cancelling the waiting task
    /// returns at once with `.cancelled`; the lookup thread finishes on its own.
    public static func resolve(host: String, port: Int) async throws(IOError) -> [SocketAddress] {
        if let literal = SocketAddress(ip: host, port: port) { return [literal] }
        let lookup = Lookup(host: host, port: port)
        let result = await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<[SocketAddress], IOError>, Never>) in
                if lookup.park(continuation) { lookup.start() }
            }
        } onCancel: {
            lookup.finish(.failure(.cancelled))
        }
        return try result.get()
    }
}

/// One lookup: the waiting task's continuation and the thread that will answer it.
private final class Lookup: Sendable {
    let host: String
    let port: Int

    private struct State {
        var continuation: UnsafeContinuation<Result<[SocketAddress], IOError>, Never>?
        var finished: Result<[SocketAddress], IOError>?
    }
    private let state = Mutex(State())

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Stores the continuation; false when the lookup already finished (cancelled before it began).
    func park(_ continuation: UnsafeContinuation<Result<[SocketAddress], IOError>, Never>) -> Bool {
        let early = state.withLock { state -> Result<[SocketAddress], IOError>? in
            if let finished = state.finished { return finished }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(returning: early) }
        return early == nil
    }

    /// Delivers the first result to the waiting task; later ones are dropped.
    func finish(_ result: Result<[SocketAddress], IOError>) {
        let continuation = state.withLock { state -> UnsafeContinuation<Result<[SocketAddress], IOError>, Never>? in
            guard state.finished == nil else { return nil }
            state.finished = result
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(returning: result)
    }

    func start() {
        let started = startDetachedThread { self.finish(self.run()) }
        if started != 0 {
            finish(.failure(.systemCall("pthread_create", errno: started, target: "resolver for \(host)")))
        }
    }

    private func run() -> Result<[SocketAddress], IOError> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_ADDRCONFIG
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0 else {
            let reason = status == EAI_SYSTEM ? String(cString: strerror(errno)) : String(cString: gai_strerror(status))
            return .failure(.nameResolution(host: host, reason: reason))
        }
        defer { freeaddrinfo(list) }
        var addresses: [SocketAddress] = []
        var entry = list
        while let current = entry {
            if let raw = current.pointee.ai_addr, let address = SocketAddress(UnsafePointer(raw)), !addresses.contains(address) {
                addresses.append(address)
            }
            entry = current.pointee.ai_next
        }
        if addresses.isEmpty { return .failure(.nameResolution(host: host, reason: "no IPv4 or IPv6 address")) }
        return .success(addresses)
    }
}
