import BulwarkAudit
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /registries`: how each of the 20 registries of the overview protects publishing, as a
/// sortable table (sorted on the server through `?sort=`, so the page needs no script).
struct RegistriesPage<Context: RequestContext>: Sendable {
    let data: RegistryData?

    func addRoutes(to router: Router<Context>) {
        router.get("/registries") { request, _ in
            let sort: String = request.uri.queryParameters.get("sort").map { String($0) } ?? "status"
            return try render(sort: sort)
        }
    }

    enum Column: String, CaseIterable {
        case name, packages, status, sms

        var title: String {
            switch self {
            case .name: "Registry"
            case .packages: "Packages"
            case .status: "2FA for publishers"
            case .sms: "SMS"
            }
        }
    }

    func render(sort: String) throws -> Response {
        guard let data else { throw HTTPError(.serviceUnavailable, message: "the bundled registries data is missing") }
        let column = Column(rawValue: sort) ?? .status
        let registries = data.registries.sorted { a, b in
            switch column {
            case .name: a.name.lowercased() < b.name.lowercased()
            case .packages: a.packages.count > b.packages.count
            case .status: a.twoFactor.status == b.twoFactor.status ? a.name < b.name : a.twoFactor.status < b.twoFactor.status
            case .sms: (a.twoFactor.sms == true ? 0 : 1, a.name) < (b.twoFactor.sms == true ? 0 : 1, b.name)
            }
        }
        var rows = ""
        for r in registries {
            let claim = r.twoFactor
            var status = Self.escape(claim.status.rawValue)
            if let original = claim.original {
                status += " <small>(was \(Self.escape(original.status.rawValue)) in the overview)</small>"
            }
            let methods = Self.escape(claim.methods.joined(separator: ", "))
            let sources = claim.sources.map { "<a href=\"\(Self.escape($0))\" rel=\"noopener\">source</a>" }.joined(separator: " ")
            rows += """
                <tr><th scope="row"><a href="\(Self.escape(r.url))" rel="noopener">\(Self.escape(r.name))</a></th>\
                <td class="num">\(r.packages.count.formatted())</td><td>\(status)<br><small>\(methods)</small></td>\
                <td>\(claim.sms.map { $0 ? "yes" : "no" } ?? "n/a")</td><td><small>as of \(Self.escape(claim.asOf)) \(sources)</small></td></tr>

                """
        }
        let headers = Column.allCases.map { c in
            c == column ? "<th scope=\"col\" aria-sort=\"\(c == .name ? "ascending" : "descending")\">\(c.title)</th>"
                : "<th scope=\"col\"><a href=\"/registries?sort=\(c.rawValue)\">\(c.title)</a></th>"
        }.joined()
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Package registries and 2FA — Bulwark</title>
            <style>body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f}
            table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid #ddd;vertical-align:top}
            td.num{text-align:right;font-variant-numeric:tabular-nums}small{color:#555}</style></head>
            <body><h1>How package registries protect publishing</h1>
            <p>Data \(Self.escape(data.dataVersion)), as of \(Self.escape(data.asOf)). Worst first by default; select a column to sort.
            <code>bulwark audit</code> applies this to a project's dependencies.</p>
            <table><thead><tr>\(headers)<th scope="col">Sources</th></tr></thead><tbody>
            \(rows)</tbody></table></body></html>
            """
        var response = Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
        response.headers[HTTPField.Name("Content-Security-Policy")!] = "default-src 'none'; style-src 'unsafe-inline'"
        return response
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
