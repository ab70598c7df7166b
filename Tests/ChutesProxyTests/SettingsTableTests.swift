import AsyncIO
import Foundation
import TestSupport
import Testing

@testable import ChutesProxy

/// The one table of settings: environment, flags, `--print-config`, and the documents that
/// list every setting.
@Suite struct SettingsTableTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A value other than the default for each setting that has no file to name.
    static let samples: [String: String] = [
        "HOST": "0.0.0.0", "PORT": "9123", "CHUTES_BASE_URL": "http://upstream.test:8000/prefix",
        "CHUTES_API_KEY": "cpk_secret_value_123", "CHUTES_AUTH_STYLE": "env",
        "MODEL_MAP": #"{"claude-*":"deepseek-ai/DeepSeek-V3.1","b":"c"}"#, "AUTO_FIX_MODEL_CASE": "0",
        "MODEL_DISCOVERY_TTL": "12.5", "TOOL_NAME_MAP": #"{"a":"b","m":{"x":"y"}}"#, "TOOL_CALL_PARSER": "qwen3_coder",
        "MAX_TOKENS_CAP": "32768", "THINKING_TEMPLATE_KWARGS": #"{"thinking":true}"#, "COMPACTION_MODEL": "small/summarizer", "AUTO_COMPACT": "summarize", "PROXY_BACKOFF_ON_429": "0",
        "PROXY_MAX_RETRY_ON_429": "3", "PROXY_MAX_RETRY_AFTER": "0.25", "STREAM_PING_INTERVAL": "5",
        "UPSTREAM_CONNECT_TIMEOUT": "3", "UPSTREAM_TIMEOUT": "120", "UPSTREAM_STREAM_IDLE_TIMEOUT": "60",
        "UPSTREAM_MAX_CONNECTIONS": "512", "UPSTREAM_POOL_TIMEOUT": "15", "UPSTREAM_HTTP2": "off",
        "SHUTDOWN_GRACE_PERIOD": "30", "SHUTDOWN_DELAY": "5", "DEBUG_PROXY": "1", "REACTOR_THREADS": "1",
        "PROVIDERS": #"[{"name":"ollama","base_url":"http://127.0.0.1:11434","models_endpoint":null}]"#,
    ]

    static func values(_ lines: [String]) -> [String: String] {
        var result: [String: String] = [:]
        for line in lines {
            let assignment = line.split(separator: "#", maxSplits: 1)[0].trimmingCharacters(in: .whitespaces)
            let parts = assignment.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            result[String(parts[0])] = String(parts[1])
        }
        return result
    }

    @Test func reactorThreadsSetsTheServersReactors() async throws {
        let automatic = try ProxyConfiguration(environment: [:])
        #expect(automatic.http.reactors === ReactorGroup.shared)
        let three = try ProxyConfiguration(environment: ["REACTOR_THREADS": "3", "HOST": "127.0.0.1", "PORT": "0", "CHUTES_BASE_URL": "http://127.0.0.1:9"])
        #expect(three.reactorThreads == 3)
        try await withRunningProxy(configuration: three) { proxy in
            #expect(proxy.proxy.configuration.http.reactors.reactors.count == 3)
        }
        for wrong in ["-1", "257", "two"] {
            #expect(throws: ConfigurationError.self) { try ProxyConfiguration(environment: ["REACTOR_THREADS": wrong]) }
            do {
                _ = try ProxyConfiguration(environment: ["REACTOR_THREADS": wrong])
            } catch {
                #expect(error.variable == "REACTOR_THREADS")
            }
        }
    }

    @Test func namesAndFlagsAreUniqueAndFollowTheVariable() {
        let names = ProxySetting.all.map(\.name)
        #expect(Set(names).count == names.count)
        for setting in ProxySetting.all {
            #expect(setting.flag == "--" + setting.name.lowercased().replacingOccurrences(of: "_", with: "-"))
            #expect(ProxySetting.named(setting.flag)?.name == setting.name)
            #expect(ProxySetting.named(setting.name)?.name == setting.name)
            #expect(!setting.summary.isEmpty)
        }
    }

    @Test func flagsWinOverTheEnvironmentInEveryForm() throws {
        let flags = try ProxyConfiguration.settings(fromFlags: ["--port", "9001", "--host=127.0.0.2", "--debug-proxy", "--auto-fix-model-case", "0", "--proxy-backoff-on-429"])
        #expect(flags == ["PORT": "9001", "HOST": "127.0.0.2", "DEBUG_PROXY": "1", "AUTO_FIX_MODEL_CASE": "0", "PROXY_BACKOFF_ON_429": "1"])
        let environment = ["PORT": "8000", "HOST": "0.0.0.0", "MAX_TOKENS_CAP": "100"]
        let configuration = try ProxyConfiguration(environment: environment.merging(flags) { $1 })
        #expect(configuration.port == 9001)
        #expect(configuration.host == "127.0.0.2")
        #expect(configuration.debug && !configuration.autoFixModelCase && configuration.backoffOn429)
        #expect(configuration.maxTokensCap == 100)  // the environment still counts
    }

    @Test func everySettingHasAFlagThatSetsIt() throws {
        let certificates = TestCertificates.shared
        let routes = #"[{"name":"default","models":["d/A"]}]"#
        let routesFile = certificates.directory + "/routes.json"
        try routes.write(toFile: routesFile, atomically: true, encoding: .utf8)
        let keysFile = certificates.directory + "/inbound-keys"
        try "file-key-0001\n".write(toFile: keysFile, atomically: true, encoding: .utf8)
        let providersFile = certificates.directory + "/providers.json"
        try #"[{"name":"ollama","base_url":"http://127.0.0.1:11434"}]"#.write(toFile: providersFile, atomically: true, encoding: .utf8)
        let namedKeysFile = certificates.directory + "/named-keys.json"
        try #"[{"name": "alice", "key": "named-key-0001"}]"#.write(toFile: namedKeysFile, atomically: true, encoding: .utf8)
        // The settings `samples` leaves out: files made at test time, ROUTES and ROUTES_FILE
        // (which exclude each other), and settings that are valid only with another one.
        let samples = Self.samples.merging([
            "CHUTES_CA_FILE": certificates.caFile, "ROUTES": routes, "ROUTES_FILE": routesFile, "PROVIDERS_FILE": providersFile,
            "BREAKER_FAILURES": "5", "BREAKER_COOLDOWN": "12", "BREAKER_MAX_COOLDOWN": "120", "MAX_CONNECTIONS": "100",
            "TLS_CERT_FILE": certificates.server.certificate, "TLS_KEY_FILE": certificates.server.key,
            "LOG_LEVEL": "warning", "LOG_FORMAT": "text", "METRICS_ENABLED": "0", "METRICS_REQUIRE_KEY": "1",
            "PROXY_API_KEYS": "team-key-0001", "PROXY_API_KEYS_FILE": keysFile, "PROXY_KEYS_FILE": namedKeysFile, "PROXY_KEYS_RELOAD_INTERVAL": "30",
            "RATE_LIMIT_REDIS_URL": "redis://:secret@127.0.0.1:6390/2", "RATE_LIMIT_REDIS_TIMEOUT": "0.5",
            "WEB_SEARCH_PROVIDER": "tavily", "WEB_SEARCH_URL": "http://searxng:8080", "WEB_SEARCH_API_KEY": "search-key-0001",
            "WEB_TOOLS_TIMEOUT": "20", "SERVER_TOOLS_TIME_LIMIT": "60", "WEB_FETCH_ALLOW_PRIVATE": "1", "WEB_FETCH_MAX_BYTES": "1048576",
        ]) { $1 }
        let companions: [String: [String: String]] = [
            "TLS_CERT_FILE": ["TLS_KEY_FILE": certificates.server.key],
            "TLS_KEY_FILE": ["TLS_CERT_FILE": certificates.server.certificate],
            "PROXY_API_KEYS": ["CHUTES_API_KEY": "u"], "PROXY_API_KEYS_FILE": ["CHUTES_API_KEY": "u"], "PROXY_KEYS_FILE": ["CHUTES_API_KEY": "u"],
            "METRICS_REQUIRE_KEY": ["PROXY_API_KEYS": "team-key-0001", "CHUTES_API_KEY": "u"],
            "WEB_SEARCH_PROVIDER": ["WEB_SEARCH_API_KEY": "search-key-0001"],
        ]
        for setting in ProxySetting.all {
            let sample = try #require(samples[setting.name], "no sample value for \(setting.name)")
            let flags = try ProxyConfiguration.settings(fromFlags: [setting.flag, sample])
            #expect(flags == [setting.name: sample], "\(setting.flag)")
            let configuration = try ProxyConfiguration(environment: flags.merging(companions[setting.name] ?? [:]) { $1 })
            #expect(setting.show(configuration) != setting.show(ProxyConfiguration()), "\(setting.flag) changed nothing")
        }
    }

    @Test func wrongFlagsAreRefusedByName() {
        #expect(throws: ConfigurationError(variable: "--no-such-thing", problem: "no such setting (--help lists them)")) {
            _ = try ProxyConfiguration.settings(fromFlags: ["--no-such-thing", "1"])
        }
        #expect(throws: ConfigurationError(variable: "--port", problem: "needs a value")) {
            _ = try ProxyConfiguration.settings(fromFlags: ["--port"])
        }
        #expect(throws: ConfigurationError(variable: "PORT", problem: "'x' is not a whole number from 0 to 65535")) {
            _ = try ProxyConfiguration(environment: ProxyConfiguration.settings(fromFlags: ["--port=x"]))
        }
        #expect(throws: ConfigurationError.self) { _ = try ProxyConfiguration.settings(fromFlags: ["port", "1"]) }
    }

    @Test func printedConfigurationReadsBackToTheSameConfiguration() throws {
        let certificates = TestCertificates.shared
        var environment = Self.samples
        environment["CHUTES_CA_FILE"] = certificates.caFile
        environment["TLS_CERT_FILE"] = certificates.server.certificate
        environment["TLS_KEY_FILE"] = certificates.server.key
        let configuration = try ProxyConfiguration(environment: environment)
        let printed = Self.values(configuration.printableSettings(environment: environment))
        #expect(Set(printed.keys) == Set(ProxySetting.all.map(\.name)))
        var again = printed
        again["CHUTES_API_KEY"] = environment["CHUTES_API_KEY"]  // shown redacted
        let reread = try ProxyConfiguration(environment: again)
        #expect(Self.values(reread.printableSettings(environment: again)) == printed)
        for (name, sample) in Self.samples where name != "CHUTES_API_KEY" {
            #expect(
                try ProxyConfiguration(environment: [name: printed[name]!]).printableSettings(environment: [:]) == ProxyConfiguration(environment: [name: sample]).printableSettings(environment: [:]),
                "\(name)")
        }
        // Defaults read back too, for rows a test has no sample for.
        let defaults = Self.values(ProxyConfiguration().printableSettings(environment: [:]))
        #expect(Self.values(try ProxyConfiguration(environment: defaults).printableSettings(environment: [:])) == defaults)
    }

    @Test func printedConfigurationRedactsSecretsAndSaysWhereValuesCameFrom() throws {
        let environment = ["CHUTES_API_KEY": "cpk_very_secret", "PORT": "9000"]
        let flags = ["HOST": "127.0.0.1"]
        let lines = try ProxyConfiguration(environment: environment.merging(flags) { $1 }).printableSettings(environment: environment, flags: flags)
        #expect(!lines.joined().contains("cpk_very_secret"))
        #expect(lines.contains { $0.hasPrefix("CHUTES_API_KEY=<redacted>") })
        #expect(lines.contains { $0.hasPrefix("PORT=9000 ") && $0.hasSuffix("# environment") })
        #expect(lines.contains { $0.hasPrefix("HOST=127.0.0.1 ") && $0.hasSuffix("# flag --host") })
        #expect(lines.contains { $0.hasPrefix("UPSTREAM_TIMEOUT=600 ") && $0.hasSuffix("# default") })
        for setting in ProxySetting.all where setting.isSecret {
            let shown = try ProxyConfiguration(environment: ["CHUTES_API_KEY": "cpk_k"].merging([setting.name: "s3cr3t-\(setting.name)"]) { $1 }).printableSettings(environment: [:])
            #expect(!shown.joined().contains("s3cr3t"), "\(setting.name)")
        }
    }

    /// Issue 21, item 8: an unresolvable HOST passed `--print-config` and `check` and failed
    /// only when serving, with exit 1 and a message not naming HOST.
    @Test func aHostTheListenerCannotBindIsRefusedByName() throws {
        for host in ["proxy.example", "localhost.", "0.0.0.0:8080", "256.1.1.1", "[::1"] {
            #expect(throws: ConfigurationError.self, "\(host)") { try ProxyConfiguration(environment: ["HOST": host]) }
            do {
                _ = try ProxyConfiguration(environment: ["HOST": host])
            } catch {
                #expect(error.variable == "HOST")
            }
        }
        for host in ["localhost", "127.0.0.1", "0.0.0.0", "::", "::1", "[::1]"] {
            #expect(try ProxyConfiguration(environment: ["HOST": host]).host == host)
        }
    }

    /// Issue 21, item 8: `--print-config` said `LOG_LEVEL=debug # default` when DEBUG_PROXY set
    /// it, and `CHUTES_AUTH_STYLE=env # default` when inbound keys set it.
    @Test func printedConfigurationNamesTheSettingThatDecidedAValue() throws {
        func origins(environment: [String: String], flags: [String: String] = [:]) throws -> [String: String] {
            let lines = try ProxyConfiguration(environment: environment.merging(flags) { $1 }).printableSettings(environment: environment, flags: flags)
            var result: [String: String] = [:]
            for line in lines {
                let parts = line.split(separator: "#", maxSplits: 1)
                let name = String(parts[0].split(separator: "=", maxSplits: 1)[0])
                result[name] = parts[1].trimmingCharacters(in: .whitespaces)
            }
            return result
        }
        let byEnvironment = try origins(environment: ["DEBUG_PROXY": "1"])
        #expect(byEnvironment["LOG_LEVEL"]?.contains("DEBUG_PROXY") == true, "\(byEnvironment["LOG_LEVEL"] ?? "")")
        #expect(byEnvironment["DEBUG_PROXY"] == "environment")
        let byFlag = try origins(environment: ["LOG_LEVEL": "info"], flags: ["DEBUG_PROXY": "1"])
        #expect(byFlag["LOG_LEVEL"]?.contains("--debug-proxy") == true, "\(byFlag["LOG_LEVEL"] ?? "")")
        let byLevel = try origins(environment: ["LOG_LEVEL": "debug"])
        #expect(byLevel["LOG_LEVEL"] == "environment")
        #expect(byLevel["DEBUG_PROXY"]?.contains("LOG_LEVEL") == true, "\(byLevel["DEBUG_PROXY"] ?? "")")
        let keys = try origins(environment: ["PROXY_API_KEYS": "inbound-key-0001", "CHUTES_API_KEY": "cpk_x"])
        #expect(keys["CHUTES_AUTH_STYLE"]?.contains("PROXY_API_KEYS") == true, "\(keys["CHUTES_AUTH_STYLE"] ?? "")")
        #expect(try origins(environment: ["PROXY_API_KEYS": "inbound-key-0001", "CHUTES_API_KEY": "cpk_x", "CHUTES_AUTH_STYLE": "env"])["CHUTES_AUTH_STYLE"] == "environment")
        let plain = try origins(environment: [:])
        #expect(plain["LOG_LEVEL"] == "default" && plain["DEBUG_PROXY"] == "default" && plain["CHUTES_AUTH_STYLE"] == "default")
    }

    /// The rows of the settings table in docs/configuration.md: `| `NAME` | default | meaning |`,
    /// name to default cell. Rows of other tables (several names in a cell, `NAME=value`) are not
    /// rows of one setting and are passed over.
    static func settingRows(of page: String) -> [String: String] {
        var rows: [String: String] = [:]
        for line in page.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count > 3, cells[1].count > 2, cells[1].hasPrefix("`"), cells[1].hasSuffix("`") else { continue }
            let name = cells[1].dropFirst().dropLast()
            guard name.allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" }) else { continue }
            rows[String(name)] = cells[2]
        }
        return rows
    }

    /// docs/configuration.md is the reference for every setting: a row per setting with the
    /// default the proxy has (`–` for none), and no row for a setting the proxy does not read.
    @Test func configurationPageAndEnvExampleListEverySetting() throws {
        let page = try String(contentsOf: Self.root.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        let example = try String(contentsOf: Self.root.appendingPathComponent(".env.example"), encoding: .utf8)
        let rows = Self.settingRows(of: page)
        for setting in ProxySetting.all {
            let shown = rows[setting.name]
            #expect(shown != nil, "docs/configuration.md's settings table has no row for `\(setting.name)`")
            if let shown {
                let expected = setting.defaultText.isEmpty ? "–" : "`\(setting.defaultText)`"
                #expect(shown.hasPrefix(expected), "docs/configuration.md gives \(setting.name) the default \(shown), the proxy's is \(expected)")
            }
            #expect(example.contains("\(setting.name)="), ".env.example lacks \(setting.name)")
        }
        let unknown = Set(rows.keys).subtracting(ProxySetting.all.map(\.name))
        #expect(unknown.isEmpty, "docs/configuration.md lists settings the proxy does not read: \(unknown.sorted())")
    }
}
