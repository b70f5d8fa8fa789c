import HTTPTypes

extension HTTPField.Name {
    // Each literal is a valid field name (an RFC 9110 token), so the failable initializer cannot
    // fail; the fallbacks only satisfy the type checker.
    static let xAPIKey = HTTPField.Name("X-API-Key") ?? .authorization
    static let lastEventID = HTTPField.Name("Last-Event-ID") ?? .ifNoneMatch
    static let xAccelBuffering = HTTPField.Name("X-Accel-Buffering") ?? .cacheControl
    static let xFrameOptions = HTTPField.Name("X-Frame-Options") ?? .cacheControl
    static let referrerPolicy = HTTPField.Name("Referrer-Policy") ?? .cacheControl
    /// HTTP/1's Host as a plain field: only a second Host header is left among the fields.
    static let host = HTTPField.Name("Host") ?? .authorization
    static let xContentTypeOptions = HTTPField.Name("X-Content-Type-Options") ?? .cacheControl
    static let xRateLimitLimit = HTTPField.Name("X-RateLimit-Limit") ?? .cacheControl
    static let xRateLimitRemaining = HTTPField.Name("X-RateLimit-Remaining") ?? .cacheControl
    static let xRateLimitReset = HTTPField.Name("X-RateLimit-Reset") ?? .cacheControl
}
