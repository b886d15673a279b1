import Foundation

extension AuditReport {
    /// SARIF 2.1.0 for code scanning: one result per dependency whose registry is at or below
    /// `failOn` (with `never`, those with no 2FA at all), located at the file that declares it.
    /// Rules are `2fa-none`, `2fa-optional` and `2fa-available`; `none` and `optional` are errors,
    /// `available` a warning.
    public func sarif(failOn: FailLevel) throws -> String {
        let threshold = failOn.status ?? TwoFactorStatus.none
        let levels = [TwoFactorStatus.none, .optional, .available].filter { $0 <= threshold }
        let rules: [[String: Any]] = levels.map { status in
            [
                "id": Self.ruleID(status),
                "name": "Registry2FA" + status.rawValue.capitalized,
                "shortDescription": ["text": "Dependency from a registry where publishing is protected by: \(status.label)"],
                "help": ["text": "Run `bulwark audit --registries` for each registry's 2FA policy and its sources."],
            ]
        }
        let results: [[String: Any]] = dependencies.filter { $0.twoFactor <= threshold }.map { item in
            let dependency = item.dependency
            let registry = data.registry(dependency.registry)?.name ?? dependency.registry.rawValue
            let version = dependency.version.map { " \($0)" } ?? ""
            let message = "\(dependency.name)\(version) comes from \(registry), where publishing is protected by: \(item.twoFactor.label)."
            let fingerprint = "\(dependency.registry.rawValue)/\(dependency.name)@\(dependency.version ?? "")"
            return [
                "ruleId": Self.ruleID(item.twoFactor),
                "level": item.twoFactor <= .optional ? "error" : "warning",
                "message": ["text": message],
                "locations": [["physicalLocation": ["artifactLocation": ["uri": dependency.file]]]],
                "partialFingerprints": ["dependency": fingerprint],
            ]
        }
        let document: [String: Any] = [
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [["tool": ["driver": ["name": "bulwark audit", "rules": rules]], "results": results]],
        ]
        let encoded = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: encoded, as: UTF8.self) + "\n"
    }

    private static func ruleID(_ status: TwoFactorStatus) -> String {
        "2fa-" + (status == .unknown ? TwoFactorStatus.none.rawValue : status.rawValue)
    }
}
