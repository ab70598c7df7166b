import Testing
@testable import AsyncIO

@Test func moduleLinks() {
    #expect(Bool(true))
}
