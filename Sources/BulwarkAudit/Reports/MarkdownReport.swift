import Foundation

extension AuditReport {
    /// A Markdown summary for a pull-request comment.
    public func markdown() -> String {
        var lines = ["## Dependency 2FA audit", "", "**\(verdict)**", ""]
        lines.append("| Registry | Dependencies | Share | 2FA | Changed since overview |")
        lines.append("|---|---:|---:|---|---|")
        for row in byRegistry {
            let changed = row.originalTwoFactor.map { $0 == row.twoFactor ? "methods" : "was \($0.label)" } ?? ""
            let status = row.twoFactor.label + hostNote(for: row)
            lines.append("| \(row.name) | \(row.count) | \(percent(row.count)) | \(status) | \(changed) |")
        }
        if !errors.isEmpty {
            lines += ["", "<details><summary>\(errors.count) unreadable \(errors.count == 1 ? "file" : "files")</summary>", ""]
            lines += errors.map { "- `\($0.file)`: \($0.message.replacingOccurrences(of: "|", with: "\\|"))" }
            lines += ["", "</details>"]
        }
        lines += ["", "_Data: registries.json \(data.dataVersion), as of \(data.asOf)._"]
        return lines.joined(separator: "\n") + "\n"
    }
}
