import GRDB

extension AppDatabase {
    /// One write transaction; any error comes out as a `StoreError`.
    func write<T>(_ updates: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try writer.write(updates)
        } catch {
            throw StoreError.wrap(error)
        }
    }

    /// A read from a consistent snapshot; any error comes out as a `StoreError`.
    func read<T>(_ value: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try reader.read(value)
        } catch {
            throw StoreError.wrap(error)
        }
    }
}
