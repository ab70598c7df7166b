/// One setting of the proxy: the environment variable, the command-line flag made from its
/// name (`MAX_TOKENS_CAP` -> `--max-tokens-cap`), how its text is read into a
/// `ProxyConfiguration`, and how the effective value is shown by `--print-config`.
///
/// `ProxySetting.all` (in `ProxySettings.swift`) is the one table of settings: a row added
/// there is read from the environment, gets its flag, its `--help` line and its
/// `--print-config` line, with nothing else to change.
public struct ProxySetting: Sendable {
    /// The environment variable, e.g. `UPSTREAM_TIMEOUT`.
    public let name: String
    /// One line for `--help` and `.env.example`: what it does and its form.
    public let summary: String
    /// The value when unset, as written in the environment (empty: none).
    public let defaultText: String
    /// Keys and the like: `--print-config` shows `<redacted>` instead of the value.
    public let isSecret: Bool
    /// An on/off setting: its flag may stand alone (`--debug-proxy` means `--debug-proxy=1`).
    public let isSwitch: Bool
    /// A value of only spaces is refused instead of counting as unset: for the inbound keys,
    /// where a value meant to close the proxy must not leave it open.
    let refusesBlank: Bool
    /// Reads the (non-empty) text of the variable into the configuration; throws naming it.
    let read: @Sendable (SettingText, inout ProxyConfiguration) throws(ConfigurationError) -> Void
    /// The effective value in the form the variable takes ("" when unset).
    let show: @Sendable (ProxyConfiguration) -> String

    init(
        _ name: String,
        _ summary: String,
        default defaultText: String = "",
        secret: Bool = false,
        switch isSwitch: Bool = false,
        refusesBlank: Bool = false,
        read: @escaping @Sendable (SettingText, inout ProxyConfiguration) throws(ConfigurationError) -> Void,
        show: @escaping @Sendable (ProxyConfiguration) -> String
    ) {
        self.name = name
        self.summary = summary
        self.defaultText = defaultText
        self.isSecret = secret
        self.isSwitch = isSwitch
        self.refusesBlank = refusesBlank
        self.read = read
        self.show = show
    }

    /// The command-line flag, e.g. `--upstream-timeout`.
    public var flag: String { "--" + name.lowercased().replacing("_", with: "-") }

    /// The setting named by an environment variable or a flag (with or without the dashes).
    public static func named(_ name: String) -> ProxySetting? {
        let wanted = name.hasPrefix("--") ? String(name.dropFirst(2)) : name
        let variable = wanted.uppercased().replacing("-", with: "_")
        return all.first { $0.name == variable }
    }
}

/// The text of one setting, with typed reads that name the variable when the text is wrong.
struct SettingText {
    let name: String
    let text: String

    func integer(in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationError(variable: name, problem: "'\(text)' is not a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// A year: no wait the proxy makes is longer.
    static let maximumSeconds = 31_536_000

    func seconds() throws(ConfigurationError) -> Duration {
        guard let value = Double(text), value <= Double(Self.maximumSeconds),
            let duration = Duration.seconds(untrusted: value, maximum: .seconds(Self.maximumSeconds))
        else {
            throw ConfigurationError(variable: name, problem: "'\(text)' is not a number of seconds from 0 to \(Self.maximumSeconds)")
        }
        return duration
    }

    func flag() throws(ConfigurationError) -> Bool {
        switch text.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw ConfigurationError(variable: name, problem: "'\(text)' is not 1/0, true/false, yes/no or on/off")
        }
    }

    func problem(_ description: String) -> ConfigurationError {
        ConfigurationError(variable: name, problem: description)
    }
}

/// How settings are shown: the forms their variables take.
enum SettingDisplay {
    /// Seconds without a needless fraction: `2`, `0.25`.
    static func seconds(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        if milliseconds % 1000 == 0 { return String(milliseconds / 1000) }
        var fraction = String(milliseconds % 1000)
        while fraction.count < 3 { fraction = "0" + fraction }
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(milliseconds / 1000).\(fraction)"
    }

    static func flag(_ value: Bool) -> String { value ? "1" : "0" }
}
