import Foundation

extension AuditReport {
    /// The terminal report: one line per registry, worst first, then the verdict, the
    /// `--fail-on` outcome and the files that could not be read. ANSI colours only when `colour`.
    public func text(colour: Bool, failOn: FailLevel = .never) -> String {
        let rows = byRegistry
        let nameWidth = max(8, rows.map(\.name.count).max() ?? 0)
        let countWidth = max(4, String(total).count)
        var lines: [String] = []
        if !rows.isEmpty {
            lines.append("Registry".padded(nameWidth) + "  " + "Deps".leftPadded(countWidth) + "  Share  2FA")
            for row in rows {
                let columns = row.name.padded(nameWidth) + "  " + String(row.count).leftPadded(countWidth) + "  "
                    + percent(row.count).leftPadded(5) + "  "
                lines.append(columns + Self.paint(statusText(for: row), row.worstDependencyStatus, colour: colour))
            }
            lines.append("")
        }
        lines.append(verdict)
        if failOn != .never {
            let failing = failing(at: failOn).count
            let noun = failing == 1 ? "dependency" : "dependencies"
            let outcome = failing == 0 ? "passed" : "\(failing) \(noun) at or below \"\(failOn.rawValue)\""
            lines.append("--fail-on \(failOn.rawValue): \(outcome)")
        }
        if let bulwark {
            lines.append("")
            lines.append("Swift packages on \(bulwark.registry):")
            for name in bulwark.packages.keys.sorted() { lines.append("  \(name): \(bulwark.packages[name]!.summary)") }
        }
        if !errors.isEmpty {
            lines.append("")
            lines.append("\(errors.count) \(errors.count == 1 ? "file" : "files") could not be read:")
            for error in errors { lines.append("  \(error.file): \(error.message)") }
        }
        lines.append("Data: registries.json \(data.dataVersion) (as of \(data.asOf)).")
        return lines.joined(separator: "\n") + "\n"
    }

    /// "2FA required (changed since the overview: was 2FA optional)", and for Swift how many
    /// packages come from a host whose posture is known.
    private func statusText(for row: RegistrySummary) -> String {
        var status = row.twoFactor.label + hostNote(for: row)
        if let original = row.originalTwoFactor {
            status += original != row.twoFactor
                ? " (changed since the overview: was \(original.label))"
                : " (methods changed since the overview)"
        }
        return status
    }

    /// For Swift and Go, whose packages come from their code hosts: "; 6 on GitHub: 2FA required".
    func hostNote(for row: RegistrySummary) -> String {
        guard Self.hostedRegistries.contains(row.id) else { return "" }
        let onHosts = dependencies.filter { $0.dependency.registry == row.id && $0.twoFactor != row.twoFactor }
        guard let hostStatus = onHosts.first?.twoFactor else { return "" }
        return "; \(onHosts.count) on GitHub: \(hostStatus.label)"
    }

    private static func paint(_ text: String, _ status: TwoFactorStatus, colour: Bool) -> String {
        guard colour else { return text }
        let code: String
        switch status {
        case .required: code = "32"  // green
        case .indirect, .notApplicable: code = "36"  // cyan
        case .available: code = "33"  // yellow
        case .optional, .none, .unknown: code = "31"  // red
        }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }
}

extension String {
    func padded(_ width: Int) -> String { padding(toLength: max(width, count), withPad: " ", startingAt: 0) }
}
