import Testing
@testable import HTTP1

@Test func moduleLinks() {
    #expect(Bool(true))
}
