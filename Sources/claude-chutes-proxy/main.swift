import ChutesProxy
import Dispatch
import Glibc
import Logging

/// The command line. Every setting of `ProxySetting.all` is a flag (`--port 9000`) laid over
/// the environment, flags winning:
///
///     claude-chutes-proxy [serve] [--setting value]...    serve (the default)
///     claude-chutes-proxy check [--setting value]...      check the configuration and the upstream
///     claude-chutes-proxy healthcheck [--setting value]... ask the local proxy for /health
///     claude-chutes-proxy --print-config [...]            the effective configuration
///     claude-chutes-proxy --version | --help
///
/// Exit status: 0 done, 1 a check failed or the server could not start, 2 a wrong flag or an
/// invalid setting.
enum CommandLineProgram {
    enum Subcommand: String { case serve, check, healthcheck }

    static func main() async -> Int32 {
        var arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.contains("--help") || arguments.contains("-h") {
            print(helpText)
            return 0
        }
        if arguments.contains("--version") {
            print(ProxyVersion.current)
            return 0
        }
        var subcommand = Subcommand.serve
        if let first = arguments.first, !first.hasPrefix("-") {
            guard let named = Subcommand(rawValue: first) else {
                return fail("unknown command '\(first)' (serve, check, healthcheck; --help)", status: 2)
            }
            subcommand = named
            arguments.removeFirst()
        }
        let printConfig = arguments.contains("--print-config")
        arguments.removeAll { $0 == "--print-config" }

        let environment = ProxyConfiguration.processEnvironment()
        let configuration: ProxyConfiguration
        let flags: [String: String]
        do {
            flags = try ProxyConfiguration.settings(fromFlags: arguments)
            configuration = try ProxyConfiguration(environment: environment.merging(flags) { $1 })
        } catch {
            return fail("invalid configuration: \(error)", status: 2)
        }
        if printConfig {
            for line in configuration.printableSettings(environment: environment, flags: flags) { print(line) }
            print("")
            // Routes, MODEL_MAP and the breaker as understood, in the order they are evaluated.
            for line in configuration.routingDescription.split(separator: "\n") { print("# " + line) }
            return 0
        }
        switch subcommand {
        case .serve: return await serve(configuration)
        case .check: return await check(configuration)
        case .healthcheck:
            if let problem = await HealthProbe.check(configuration) { return fail("unhealthy: \(problem)", status: 1) }
            return 0
        }
    }

    static func serve(_ configuration: ProxyConfiguration) async -> Int32 {
        let (format, level) = (configuration.logFormat, configuration.logLevel)
        LoggingSystem.bootstrap { _ in ProxyLogHandler(format: format, level: level) }
        defer { LogWriter.standardError.flush() }
        raiseDescriptorLimit()
        let server: ProxyServer
        do {
            server = try ProxyServer(configuration: configuration)
        } catch {
            return fail("cannot start on \(configuration.host):\(configuration.port): \(error)", status: 1)
        }
        print("claude-chutes-proxy \(ProxyVersion.current) listening on \(configuration.host):\(server.port)")
        fflush(nil)  // supervisors and tests read this line through a pipe
        let signals = ShutdownSignals { server.shutdown() }
        // SIGHUP reads PROXY_KEYS_FILE again; without one it is ignored rather than fatal.
        let reload = SignalHandler(SIGHUP) { server.reloadKeys() }
        let trimmer = HeapTrimmer()
        await server.run()
        withExtendedLifetime((signals, reload, trimmer)) {}
        print("claude-chutes-proxy stopped")
        return 0
    }

    static func check(_ configuration: ProxyConfiguration) async -> Int32 {
        print("configuration: valid")
        let report = await ConfigurationCheck.run(configuration)
        for line in report.lines { print(line) }
        guard report.passed else {
            for problem in report.problems { printToStandardError("problem: \(problem)") }
            return 1
        }
        print("check passed")
        return 0
    }

    static func fail(_ message: String, status: Int32) -> Int32 {
        printToStandardError("claude-chutes-proxy: \(message)")
        return status
    }

    /// One line on stderr, after what stdout holds (Glibc's `stderr` is a global var, which
    /// strict concurrency refuses).
    static func printToStandardError(_ line: String) {
        fflush(nil)
        var text = line + "\n"
        text.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
    }

    static let helpText: String = {
        var text = """
            claude-chutes-proxy \(ProxyVersion.current): serve the Anthropic Messages API on top of an OpenAI-compatible backend.

            usage: claude-chutes-proxy [serve|check|healthcheck] [--setting value]... [--print-config]

              serve          serve (the default); SIGTERM or SIGINT drains and stops
              check          validate the configuration, reach the upstream and list its models
              healthcheck    ask the proxy on this machine's HOST/PORT for /health (exit 0 when healthy)
              --print-config print the effective configuration (secrets redacted) and exit
              --version      print the version
              --help         this text

            settings: each is an environment variable and a flag; the flag wins.

            """
        let width = ProxySetting.all.map { $0.flag.count + 8 }.max() ?? 0
        for setting in ProxySetting.all {
            let left = "  \(setting.flag) \(setting.isSwitch ? "[0|1]" : "VALUE")"
            let padding = String(repeating: " ", count: max(2, width - left.count + 2))
            let defaultNote = setting.defaultText.isEmpty ? "" : " (default \(setting.defaultText))"
            text += "\(left)\(padding)\(setting.name): \(setting.summary)\(defaultNote)\n"
        }
        return text
    }()
}

/// Calls `onSignal` on SIGTERM or SIGINT, from a dispatch queue rather than a signal handler.
final class ShutdownSignals {
    private let handlers: [SignalHandler]

    init(onSignal: @escaping @Sendable () -> Void) {
        handlers = [SIGTERM, SIGINT].map { SignalHandler($0, onSignal) }
    }
}

/// Calls `onSignal` when the process gets signal `number`, from a dispatch queue rather than
/// a signal handler; the signal's default action (ending the process) is off meanwhile.
final class SignalHandler {
    private let source: any DispatchSourceSignal

    init(_ number: Int32, _ onSignal: @escaping @Sendable () -> Void) {
        signal(number, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler(handler: onSignal)
        source.resume()
    }
}

/// Each client connection needs a descriptor and each upstream one another; the usual soft
/// limit (1024) would stop accepting long before `MAX_CONNECTIONS` (10,000 by default, two
/// descriptors each for streams over HTTP/1.1). The soft limit is raised to the hard one the
/// administrator allows.
private func raiseDescriptorLimit() {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
    limit.rlim_cur = limit.rlim_max
    _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}

exit(await CommandLineProgram.main())
