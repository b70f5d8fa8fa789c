import Foundation
import Testing

@testable import JunctionGateway

@Suite("RemoteOrigin")
struct RemoteOriginTests {
    private let base = URL(string: "https://mcp.example.com/v1/sse?team=a")!

    @Test("an endpoint on the server's origin is resolved against its URL")
    func sameOrigin() {
        #expect(
            RemoteOrigin.resolve("/messages?session_id=42", against: base)?.absoluteString
                == "https://mcp.example.com/messages?session_id=42")
        #expect(
            RemoteOrigin.resolve("messages/?s=1", against: base)?.absoluteString
                == "https://mcp.example.com/v1/messages/?s=1")
        #expect(
            RemoteOrigin.resolve("https://MCP.example.com:443/m", against: base)?.absoluteString
                == "https://MCP.example.com:443/m")
    }

    @Test("an endpoint or redirect off the origin is refused: host, port, scheme, or no URL at all")
    func otherOrigins() {
        for reference in [
            "https://evil.example.net/messages", "//evil.example.net/messages", "http://mcp.example.com/messages",
            "https://mcp.example.com:8443/messages", "javascript:alert(1)", "", "   ",
        ] {
            #expect(RemoteOrigin.resolve(reference, against: base) == nil, "\(reference)")
        }
    }

    @Test("only absolute http and https URLs with a host have an origin; default ports are filled in")
    func origins() {
        #expect(RemoteOrigin(URL(string: "http://localhost/mcp")!)?.description == "http://localhost:80")
        #expect(RemoteOrigin(URL(string: "https://h:9/x")!)?.port == 9)
        #expect(RemoteOrigin(URL(string: "ftp://h/x")!) == nil)
        #expect(RemoteOrigin(URL(string: "/relative")!) == nil)
    }

    @Test("URLs in errors lose their query and credentials")
    func display() {
        #expect(
            HTTPTransport.display(URL(string: "https://user:pw@h.example/mcp?api_key=secret"))
                == "https://h.example/mcp?…")
        #expect(HTTPTransport.display(URL(string: "http://127.0.0.1:8/mcp")) == "http://127.0.0.1:8/mcp")
    }
}

@Suite("HTTPTransport header values")
struct HTTPHeaderValueTests {
    @Test("visible ASCII goes as it is; anything else, edge spaces or a look-alike sentinel, in base64")
    func headerValues() {
        #expect(HTTPTransport.headerValue("get_weather") == "get_weather")
        #expect(HTTPTransport.headerValue("file:///a b.txt") == "file:///a b.txt")
        #expect(HTTPTransport.headerValue("héllo") == "=?base64?aMOpbGxv?=")
        #expect(HTTPTransport.headerValue(" x") == "=?base64?IHg=?=")
        #expect(HTTPTransport.headerValue("a\r\nb") == "=?base64?YQ0KYg==?=")
        #expect(HTTPTransport.headerValue("=?base64?x?=") == "=?base64?PT9iYXNlNjQ/eD89?=")
    }
}
