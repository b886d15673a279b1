import Foundation

extension AuditReport {
    /// The data table for `--registries`: status, methods, SMS, package count and what changed.
    public static func registriesTable(_ data: RegistryData) -> String {
        var lines = ["Registries (registries.json \(data.dataVersion), as of \(data.asOf)):", ""]
        let idWidth = data.registries.map(\.id.rawValue.count).max() ?? 10
        let nameWidth = data.registries.map(\.name.count).max() ?? 10
        for registry in data.registries.sorted(by: { ($0.twoFactor.status, $0.id) < ($1.twoFactor.status, $1.id) }) {
            let claim = registry.twoFactor
            var line = registry.id.rawValue.padding(toLength: idWidth, withPad: " ", startingAt: 0) + "  "
                + registry.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  "
                + claim.status.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0) + "  "
                + String(registry.packages.count).leftPadded(9) + " packages  "
            line += claim.methods.isEmpty ? "-" : claim.methods.joined(separator: ", ")
            line += claim.sms == true ? "; SMS" : ""
            if let original = claim.original {
                line += original.status != claim.status
                    ? "  [changed since the overview: was \(original.status.rawValue)]"
                    : "  [methods changed since the overview: were \(original.methods.joined(separator: ", "))]"
            }
            if claim.verified == false { line += "  [unverified]" }
            lines.append(line)
        }
        lines += ["", "Statuses, worst first: none < optional < available < indirect < not-applicable < required."]
        return lines.joined(separator: "\n") + "\n"
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
