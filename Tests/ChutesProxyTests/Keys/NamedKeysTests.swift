import Foundation
import HTTP1
import JSON
import Logging
import Testing

@testable import ChutesProxy

private let upstreamKey = "sk-upstream-chutes-key-9999"
private let hello: JSONValue = ["model": "deepseek-ai/DeepSeek-V3", "max_tokens": 10, "messages": [["role": "user", "content": "Hi"]]]
/// sha256sum of `team-key-alice-0001` (printf without a newline), computed outside the code.
private let aliceDigest = "bfab83b2d601cbf3ebf2f205aa6a68c86850782eb55fd4735bcf5d50ae511677"

@Suite struct NamedKeysTests {
    @Test func sha256MatchesTheStandardsVectors() {
        #expect(SHA256.hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // 56 bytes: the padding spills into a second block.
        #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex([UInt8](repeating: UInt8(ascii: "a"), count: 1000)) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
        #expect(SHA256.hex(Array("team-key-alice-0001".utf8)) == aliceDigest)
        // Either side of every padding boundary (Python's hashlib, bytes (i * 7 + 3) % 256).
        let expected = [
            55: "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b", 56: "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27",
            63: "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055", 64: "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241",
            65: "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae95e", 119: "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc177e",
            120: "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a04b5", 128: "d2742f1f4ac6bb7ca2b239ee18402ba8b3f9f8e652d2a72973c2b9ba11c08cf6",
        ]
        for (count, digest) in expected {
            let bytes = (0..<count).map { UInt8(($0 * 7 + 3) % 256) }
            #expect(SHA256.hex(bytes) == digest, "\(count) bytes")
            // A collection without contiguous storage takes the other path.
            #expect(SHA256.hex(bytes.lazy.map { $0 }) == digest, "\(count) bytes, not contiguous")
        }
    }

    @Test func aKeysFileIsCheckedNamingTheSettingAndTheEntry() {
        func problem(_ text: String) -> String? {
            do {
                _ = try KeysFile.parse(text, path: "keys.json")
                return nil
            } catch {
                #expect(error.variable == "PROXY_KEYS_FILE")
                return error.problem
            }
        }
        #expect(problem(#"[{"name": "alice", "key": "k-0001"}, {"name": "bob", "key_sha256": "\#(aliceDigest.uppercased())"}]"#) == nil)
        #expect(problem("[{")?.contains("keys.json is not valid JSON") == true)
        #expect(problem(#"{"name": "alice"}"#)?.contains("a JSON array") == true)
        #expect(problem("[]")?.contains("holds no key") == true)
        #expect(problem(#"[{"key": "k-0001"}]"#)?.contains("entry 0: \"name\" is required") == true)
        #expect(problem(#"[{"name": "al ice", "key": "k-0001"}]"#)?.contains("entry 0: the name") == true)
        #expect(problem(#"[{"name": "alice", "key": "k-0001"}, {"name": "alice", "key": "k-0002"}]"#)?.contains("entry 1 (alice): the name is used twice") == true)
        // The same key twice, once plain and once hashed.
        #expect(problem(#"[{"name": "a", "key": "team-key-alice-0001"}, {"name": "b", "key_sha256": "\#(aliceDigest)"}]"#)?.contains("entry 1 (b): the same key") == true)
        #expect(problem(#"[{"name": "alice"}]"#)?.contains("entry 0 (alice): give \"key\" or \"key_sha256\"") == true)
        #expect(problem(#"[{"name": "alice", "key": "k-0001", "key_sha256": "\#(aliceDigest)"}]"#)?.contains("not both") == true)
        #expect(problem(#"[{"name": "alice", "key_sha256": "\#(aliceDigest.dropLast())"}]"#)?.contains("entry 0 (alice): \"key_sha256\" must be 64 hexadecimal digits") == true)
        #expect(problem(#"[{"name": "alice", "key_sha256": "\#(aliceDigest.dropLast())g"}]"#)?.contains("64 hexadecimal digits") == true)
        #expect(problem(#"[{"name": "alice", "key": "with space"}]"#)?.contains("\"key\" must be printable ASCII") == true)
        #expect(problem(#"[{"name": "alice", "key": "k-0001", "requests_per_minute": -1}]"#)?.contains("\"requests_per_minute\" must be a whole number from 1") == true)
        #expect(problem(#"[{"name": "alice", "key": "k-0001", "tokens_per_day": 0}]"#)?.contains("\"tokens_per_day\"") == true)
        #expect(problem(#"[{"name": "alice", "key": "k-0001", "tokens_per_day": 99999999999999999999999}]"#)?.contains("\"tokens_per_day\"") == true)
        #expect(problem(#"[{"name": "alice", "key": "k-0001", "max_concurrent_requests": 1.5}]"#)?.contains("\"max_concurrent_requests\"") == true)
        #expect(problem(#"[{"name": "alice", "key": "k-0001", "models": []}]"#)?.contains("\"models\"") == true)
        #expect(problem(#"[{"name": "alice", "key": "k-0001", "admin": "yes"}]"#)?.contains("\"admin\" must be true or false") == true)
        #expect(problem(#"[{"name": "alice", "key": "k-0001", "request_per_minute": 5}]"#)?.contains("unknown field \"request_per_minute\"") == true)
    }

    @Test func aBadKeysFileStopsStartUp() throws {
        let directory = try KeysDirectory()
        let path = try directory.write("keys.json", #"[{"name": "alice", "key": "k-0001", "requests_per_minute": "ten"}]"#)
        #expect(throws: ConfigurationError.self) { try ProxyConfiguration(environment: ["PROXY_KEYS_FILE": path, "CHUTES_API_KEY": upstreamKey]) }
        #expect(throws: ConfigurationError.self) { try ProxyConfiguration(environment: ["PROXY_KEYS_FILE": directory.path + "/missing.json", "CHUTES_API_KEY": upstreamKey]) }
        // Named keys need the proxy's own upstream key, as unnamed ones do.
        try directory.write("keys.json", #"[{"name": "alice", "key": "k-0001"}]"#)
        #expect(throws: ConfigurationError.self) { try ProxyConfiguration(environment: ["PROXY_KEYS_FILE": path]) }
        let configuration = try ProxyConfiguration(environment: ["PROXY_KEYS_FILE": path, "CHUTES_API_KEY": upstreamKey])
        #expect(configuration.namedKeys.map(\.name) == ["alice"])
        #expect(configuration.authStyle == .env)
    }

    @Test func namedAndUnnamedKeysAreAcceptedAndOthersRefusedBeforeTheUpstream() async throws {
        let directory = try KeysDirectory()
        let path = try directory.write(
            "keys.json", #"[{"name": "alice", "key_sha256": "\#(aliceDigest)"}, {"name": "bob", "key": "team-key-bob-0002"}]"#)
        try await withScriptedUpstream { _, _ in
            ScriptedUpstream.completion(["role": "assistant", "content": "Hello!"])
        } run: { upstream in
            let environment = ["PROXY_KEYS_FILE": path, "PROXY_API_KEYS": "plain-key-0003", "CHUTES_API_KEY": upstreamKey, "AUTO_FIX_MODEL_CASE": "0"]
            try await withRunningProxy(upstream: upstream, environment: environment) { proxy in
                for headers: HTTPHeaders in [[:], ["x-api-key": aliceDigest], ["x-api-key": "team-key-alice-000"], ["Authorization": "Bearer team-key-bob-0003"]] {
                    let response = try await proxy.post("/v1/messages", hello, headers: headers)
                    #expect(response.status == 401, "\(headers)")
                }
                #expect(upstream.received.isEmpty)
                for headers: HTTPHeaders in [["x-api-key": "team-key-alice-0001"], ["Authorization": "Bearer team-key-bob-0002"], ["x-api-key": "plain-key-0003"]] {
                    #expect(try await proxy.post("/v1/messages", hello, headers: headers).status == 200, "\(headers)")
                }
                #expect(upstream.completionRequests.allSatisfy { $0.headers["Authorization"] == "Bearer \(upstreamKey)" })
            }
        }
    }

    @Test func theKeysFileIsReloadedOnRequestAndWhenItChangesAndABadOneKeepsTheKeys() async throws {
        let directory = try KeysDirectory()
        // As a Secret mount: keys.json -> data/keys.json, data a link swapped to a new directory.
        try FileManager.default.createDirectory(atPath: directory.path + "/v1", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: directory.path + "/v2", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: directory.path + "/v3", withIntermediateDirectories: true)
        try directory.write("v1/keys.json", #"[{"name": "alice", "key": "team-key-alice-0001"}]"#)
        try directory.write("v2/keys.json", #"[{"name": "bob", "key": "team-key-bob-0002"}]"#)
        try directory.write("v3/keys.json", #"[{"name": "carol", "key": "team-key-carol-0003", "requests_per_minute": -5}]"#)
        try directory.link("data", to: "v1")
        try directory.link("keys.json", to: "data/keys.json")
        let store = KeyStore(
            unnamed: InboundKeys([]), named: try KeysFile.load(path: directory.path + "/keys.json"), path: directory.path + "/keys.json",
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        func name(_ key: String) -> String? { store.ring.caller(["x-api-key": key])?.name }
        #expect(name("team-key-alice-0001") == "alice")
        #expect(store.reloadIfChanged() == false)  // nothing changed: not read again
        try directory.link("data", to: "v2")
        #expect(store.reloadIfChanged() == true)
        #expect(name("team-key-alice-0001") == nil)
        #expect(name("team-key-bob-0002") == "bob")
        try directory.link("data", to: "v3")
        #expect(store.reloadIfChanged() == false)  // refused: bob's keys stay
        #expect(name("team-key-bob-0002") == "bob")
        #expect(name("team-key-carol-0003") == nil)
        #expect(store.reloadIfChanged() == false)  // the same bad file is not read again
        try directory.link("data", to: "v1")
        #expect(store.reload() == true)
        #expect(name("team-key-alice-0001") == "alice")
    }

    @Test func aServingProxyPicksUpAChangedKeysFile() async throws {
        let directory = try KeysDirectory()
        let path = try directory.write("keys.json", #"[{"name": "alice", "key": "team-key-alice-0001"}]"#)
        try await withScriptedUpstream { _, _ in
            ScriptedUpstream.completion(["role": "assistant", "content": "Hello!"])
        } run: { upstream in
            let environment = ["PROXY_KEYS_FILE": path, "PROXY_KEYS_RELOAD_INTERVAL": "0.02", "CHUTES_API_KEY": upstreamKey, "AUTO_FIX_MODEL_CASE": "0"]
            try await withRunningProxy(upstream: upstream, environment: environment) { proxy in
                #expect(try await proxy.post("/v1/messages", hello, headers: ["x-api-key": "team-key-alice-0001"]).status == 200)
                try directory.write("keys.json", #"[{"name": "bob", "key": "team-key-bob-0002"}]"#)
                // The watcher polls: wait for its verdict, up to 10 s.
                var status: HTTPStatus = 0
                for _ in 0..<500 {
                    status = try await proxy.post("/v1/messages", hello, headers: ["x-api-key": "team-key-bob-0002"]).status
                    if status == 200 { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(status == 200)
                #expect(try await proxy.post("/v1/messages", hello, headers: ["x-api-key": "team-key-alice-0001"]).status == 401)
                // SIGHUP's entry point, with a file that does not read: the keys stay.
                try directory.write("keys.json", "not json")
                #expect(proxy.proxy.reloadKeys() == false)
                #expect(try await proxy.post("/v1/messages", hello, headers: ["x-api-key": "team-key-bob-0002"]).status == 200)
            }
        }
    }
}
