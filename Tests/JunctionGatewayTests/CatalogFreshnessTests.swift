import Testing

@testable import JunctionGateway

@Suite("Catalog freshness")
struct CatalogFreshnessTests {
    @Test("a fresh catalog is read at once; a stale one once re-discovery ends")
    func waitsForRediscovery() async throws {
        let freshness = CatalogFreshness()
        await freshness.awaitFresh()  // nothing under way: returns at once

        freshness.markStale()
        let waiter = Task {
            await freshness.awaitFresh()
            return true
        }
        freshness.markFresh()
        #expect(await waiter.value)
    }

    @Test("a re-discovery that never ends holds a list back only for the patience")
    func boundedByPatience() async throws {
        let freshness = CatalogFreshness()
        freshness.markStale()
        await freshness.awaitFresh()  // returns by itself, with no markFresh
        await freshness.awaitFresh()  // and the flag has lapsed for later readers
    }
}
