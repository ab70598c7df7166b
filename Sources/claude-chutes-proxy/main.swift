import ArgumentParser
import ChutesProxy
import Dispatch
import Glibc
import Logging

@main
struct ClaudeChutesProxy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "claude-chutes-proxy",
        abstract: "Serve the Anthropic Messages API on top of an OpenAI-compatible backend.",
        discussion: "Settings come from environment variables (see README.md); flags override them.",
        version: ProxyVersion.current
    )

    @Option(help: "Address to listen on (overrides HOST; default 0.0.0.0).")
    var host: String?

    @Option(help: "Port to listen on (overrides PORT; default 8080; 0 picks a free one).")
    var port: Int?

    func run() async throws {
        var configuration: ProxyConfiguration
        do {
            configuration = try ProxyConfiguration(environment: ProxyConfiguration.processEnvironment())
        } catch {
            throw ValidationError("invalid configuration: \(error)")
        }
        if let host { configuration.host = host }
        if let port { configuration.port = port }
        let (format, level) = (configuration.logFormat, configuration.logLevel)
        LoggingSystem.bootstrap { _ in ProxyLogHandler(format: format, level: level) }
        defer { LogWriter.standardError.flush() }
        let server: ProxyServer
        do {
            server = try ProxyServer(configuration: configuration)
        } catch {
            throw ValidationError("cannot start on \(configuration.host):\(configuration.port): \(error)")
        }
        print("claude-chutes-proxy \(ProxyVersion.current) listening on \(configuration.host):\(server.port)")
        fflush(nil)  // supervisors and tests read this line through a pipe
        let signals = ShutdownSignals { server.shutdown() }
        await server.run()
        withExtendedLifetime(signals) {}
        print("claude-chutes-proxy stopped")
    }
}

/// Calls `onSignal` on SIGTERM or SIGINT, from a dispatch queue rather than a signal handler.
final class ShutdownSignals {
    private let sources: [any DispatchSourceSignal]

    init(onSignal: @escaping @Sendable () -> Void) {
        sources = [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: onSignal)
            source.resume()
            return source
        }
    }
}
