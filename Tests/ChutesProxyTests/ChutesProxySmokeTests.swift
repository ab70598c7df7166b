import Testing
@testable import ChutesProxy

@Test func moduleLinks() {
    #expect(Bool(true))
}
