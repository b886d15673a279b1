import Foundation

extension AuditReport {
    /// The JSON report:
    ///
    /// ```
    /// {"dependencies":[{"registry","name","version","file","twoFactor"}],
    ///  "summary":{"total","byRegistry":{id:{"count","twoFactor"}}},
    ///  "errors":[{"file","message"}]}
    /// ```
    ///
    /// `version` is `null` when the file does not say. Swift and Go dependencies also have
    /// `location` (their code host), whose posture gives `twoFactor` when known. `summary` also
    /// carries `dataVersion` and `verdict`, and registries whose status changed since the
    /// overview have `originalTwoFactor`. Keys are sorted.
    public func json() throws -> String {
        let dependencyObjects: [[String: Any]] = dependencies.map { item in
            var object: [String: Any] = [
                "registry": item.dependency.registry.rawValue, "name": item.dependency.name,
                "version": item.dependency.version ?? NSNull(), "file": item.dependency.file,
                "twoFactor": item.twoFactor.rawValue,
            ]
            if let location = item.dependency.location { object["location"] = location }
            return object
        }
        var registries: [String: Any] = [:]
        for row in byRegistry {
            var object: [String: Any] = ["count": row.count, "twoFactor": row.twoFactor.rawValue]
            if let original = row.originalTwoFactor, original != row.twoFactor { object["originalTwoFactor"] = original.rawValue }
            registries[row.id.rawValue] = object
        }
        var document: [String: Any] = [
            "dependencies": dependencyObjects,
            "summary": ["total": total, "byRegistry": registries, "dataVersion": data.dataVersion, "verdict": verdict],
            "errors": errors.map { ["file": $0.file, "message": $0.message] },
        ]
        if let bulwark {
            let encoder = JSONEncoder()
            var packages: [String: Any] = [:]
            for (name, posture) in bulwark.packages {
                packages[name] = try JSONSerialization.jsonObject(with: try encoder.encode(posture))
            }
            document["bulwark"] = ["registry": bulwark.registry, "packages": packages]
        }
        let encoded = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: encoded, as: UTF8.self) + "\n"
    }
}
