import Testing
@testable import JSON

@Test func moduleLinks() {
    #expect(Bool(true))
}
