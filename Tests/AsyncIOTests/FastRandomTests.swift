import AsyncIO
import Glibc
import Testing

@Suite struct FastRandomTests {
    @Test func identifiersHaveThePrefixLengthAndAlphabet() {
        let alphanumeric = Set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        for count in [0, 1, 9, 10, 11, 24, 33] {
            let id = FastRandom.identifier(prefix: "msg_", count: count)
            #expect(id.hasPrefix("msg_"))
            #expect(id.count == 4 + count)
            #expect(id.dropFirst(4).allSatisfy { alphanumeric.contains($0) })
        }
    }

    @Test func identifiersDoNotRepeatAndUseEveryCharacter() {
        var seen = Set<String>()
        var characters = Set<Character>()
        for _ in 0..<10_000 {
            let id = FastRandom.identifier(prefix: "", count: 24)
            seen.insert(id)
            characters.formUnion(id)
        }
        #expect(seen.count == 10_000)
        #expect(characters.count == 62)
    }

    @Test func threadsDrawDifferentSequences() {
        // Each thread seeds its own state; two threads must not replay one sequence.
        final class Box: @unchecked Sendable {  // written by one thread, read after pthread_join
            var values: [UInt64] = []
        }
        let boxes = [Box(), Box()]
        var threads: [pthread_t] = []
        for box in boxes {
            var thread = pthread_t()
            let started = pthread_create(
                &thread, nil,
                { argument in
                    let box = Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue()
                    var generator = FastRandom()
                    box.values = (0..<8).map { _ in generator.next() }
                    return nil
                }, Unmanaged.passRetained(box).toOpaque())
            #expect(started == 0)
            threads.append(thread)
        }
        for thread in threads { pthread_join(thread, nil) }
        #expect(boxes[0].values.count == 8)
        #expect(boxes[0].values != boxes[1].values)
    }
}
