import Testing
@testable import Translation

@Test func moduleLinks() {
    #expect(Bool(true))
}
