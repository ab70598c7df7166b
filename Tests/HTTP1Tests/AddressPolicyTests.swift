import AsyncIO
import HTTP1
import Testing

/// `HTTPClient.Configuration.admitsAddress`: the connector connects only to admitted
/// addresses, checked on the resolved address itself.
@Suite struct AddressPolicyTests {
    @Test(arguments: ["127.0.0.1", "localhost"])
    func aRefusedAddressIsNeverConnectedTo(host: String) async throws {
        let server = try ScriptedServer { connection in
            while try await connection.readRequest() != nil {
                try await connection.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            }
        }
        var configuration = HTTPClient.Configuration()
        configuration.admitsAddress = { !$0.isLoopback }
        let client = try HTTPClient(configuration: configuration)
        // `localhost` may resolve to ::1 first: any loopback address it names is the refusal.
        await #expect {
            _ = try await client.execute(HTTPClientRequest(url: server.url("/", host: host)))
        } throws: { error in
            guard case .addressRefused(let origin, let address) = error as? HTTPClientError else { return false }
            return origin == "http://\(host):\(server.port)" && (address == "127.0.0.1" || address == "::1")
        }
        #expect(server.accepted == 0)
    }

    @Test func anAdmittedAddressIsConnectedTo() async throws {
        let server = try ScriptedServer { connection in
            while try await connection.readRequest() != nil {
                try await connection.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            }
        }
        var configuration = HTTPClient.Configuration()
        configuration.admitsAddress = { $0.port == server.port }
        let client = try HTTPClient(configuration: configuration)
        let response = try await client.execute(HTTPClientRequest(url: server.url("/")))
        #expect(try await response.body.collect(upTo: 10) == Array("ok".utf8))
    }
}
