import Foundation

/// The output formats of `bulwark audit`.
public enum ReportFormat: String, Sendable, CaseIterable {
    /// A terminal report grouped by registry, worst first, with the verdict.
    case text
    /// The stable JSON schema (see ``AuditReport/json(failOn:)``).
    case json
    /// A Markdown table for a pull-request comment.
    case markdown
    /// SARIF 2.1.0 for code scanning: one result per dependency at or below the threshold.
    case sarif
}

extension TwoFactorStatus {
    /// Words for the text and Markdown reports.
    public var label: String {
        switch self {
        case .required: "2FA required"
        case .indirect: "via another identity provider"
        case .notApplicable: "no publisher accounts"
        case .available: "2FA available"
        case .optional: "2FA optional"
        case .none: "no 2FA"
        case .unknown: "unknown"
        }
    }
}

extension AuditReport {
    /// Renders the report.
    public func render(_ format: ReportFormat, failOn: FailLevel = .never, colour: Bool = false) throws -> String {
        switch format {
        case .text: text(colour: colour, failOn: failOn)
        case .json: try json()
        case .markdown: markdown()
        case .sarif: try sarif(failOn: failOn)
        }
    }
}
