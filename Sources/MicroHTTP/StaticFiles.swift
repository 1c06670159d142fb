import Foundation

/// Serves files below a root folder, refusing any path that would leave it: `..` segments (also
/// when percent-encoded, which libmicrohttpd decodes before we see them), backslashes, NUL bytes,
/// and symbolic links that resolve outside the root.
///
/// ```swift
/// router.fallback = StaticFiles(root: "Public").handler
/// ```
public struct StaticFiles: Sendable {
    public let root: String
    private let resolvedRoot: String

    public init(root: String) {
        self.root = root
        self.resolvedRoot = (try? Self.realPath(root)) ?? root
    }

    public var handler: Router.Handler {
        { request, _ in try self.respond(to: request) }
    }

    public func respond(to request: HTTPRequest) throws -> HTTPResponse {
        guard request.method == "GET" || request.method == "HEAD" else {
            throw HTTPError.methodNotAllowed(request.method)
        }
        let segments = request.path.split(separator: "/", omittingEmptySubsequences: true)
        for segment in segments where segment == ".." || segment == "." || segment.contains("\\")
            || segment.contains("\0") || segment.hasPrefix(".") {
            // Dot-files are never served: no `.git`, no editor swap files.
            throw HTTPError.badRequest("invalid path")
        }
        var relative = segments.joined(separator: "/")
        if relative.isEmpty || request.path.hasSuffix("/") {
            relative += relative.isEmpty ? "index.html" : "/index.html"
        }
        let candidate = resolvedRoot + "/" + relative
        // Resolving symlinks and comparing prefixes catches links that point out of the root.
        guard let resolved = try? Self.realPath(candidate),
              resolved.hasPrefix(resolvedRoot + "/") else {
            throw HTTPError.notFound()
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory),
              !isDirectory.boolValue,
              let data = FileManager.default.contents(atPath: resolved) else {
            throw HTTPError.notFound()
        }
        var response = HTTPResponse(status: 200, contentType: ContentType.forPath(resolved), bytes: [UInt8](data))
        response.headers.append(("Cache-Control", "no-cache"))
        response.headers.append(("X-Content-Type-Options", "nosniff"))
        return response
    }

    static func realPath(_ path: String) throws -> String {
        guard let resolved = realpath(path, nil) else { throw POSIXError(.ENOENT) }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

/// Content types by file extension, for the files a web UI ships.
public enum ContentType {
    public static func forPath(_ path: String) -> String {
        switch (path as NSString).pathExtension.lowercased() {
        case "html", "htm": return "text/html; charset=utf-8"
        case "css": return "text/css; charset=utf-8"
        case "js", "mjs": return "text/javascript; charset=utf-8"
        case "json": return "application/json; charset=utf-8"
        case "svg": return "image/svg+xml"
        case "png": return "image/png"
        case "jpg", "jpeg": return "image/jpeg"
        case "gif": return "image/gif"
        case "webp": return "image/webp"
        case "ico": return "image/x-icon"
        case "txt", "md": return "text/plain; charset=utf-8"
        case "woff2": return "font/woff2"
        case "wasm": return "application/wasm"
        case "zip": return "application/zip"
        default: return "application/octet-stream"
        }
    }
}
