import JunctionCore
import JunctionStore
import Testing

/// Expects `body` to fail with `StoreError.invalid` about `field`, with a message containing each
/// of `fragments`; returns the message.
@discardableResult
func expectInvalid(
    _ field: String, _ fragments: String..., sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) -> String? {
    let error = #expect(throws: StoreError.self, sourceLocation: sourceLocation) { try body() }
    guard case .invalid(let validation)? = error else {
        if error != nil { Issue.record("expected .invalid(\(field)), got \(error!)", sourceLocation: sourceLocation) }
        return nil
    }
    #expect(validation.field == field, sourceLocation: sourceLocation)
    for fragment in fragments {
        #expect(
            validation.message.contains(fragment), "\(validation.message) lacks \(fragment)",
            sourceLocation: sourceLocation)
    }
    return validation.message
}
