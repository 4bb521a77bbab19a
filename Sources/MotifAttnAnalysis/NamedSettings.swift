/// The fields of a settings type by name: each written as text and read back from it.
///
/// A settings type (`HeadMotifSettings`, `AnalysisOptions`) lists its fields once; the list gives
/// `--analysis-setting`, the parameters of `run.json`, the fingerprint that sharded parts must share and
/// `merge`'s read-back of that fingerprint. A new field then needs one line here beside its declaration,
/// not one in each of those places.
struct NamedSettings<Root> {
    /// One field: its name, its value as text, how text sets it (false: the text is not a value it takes) and,
    /// for messages, the values it takes.
    struct Field {
        var name: String
        var get: (Root) -> String
        var set: (inout Root, String) -> Bool
        var accepted: String
    }

    var fields: [Field]

    init(_ fields: [Field]) { self.fields = fields }

    /// Every field's name with its value in `settings`, in the list's order.
    func values(of settings: Root) -> [(name: String, value: String)] {
        fields.map { ($0.name, $0.get(settings)) }
    }

    /// The names, in the list's order.
    var names: [String] { fields.map(\.name) }

    /// Sets the field named `name` from text; a refused value leaves `settings` unchanged.
    func set(_ name: String, to value: String, in settings: inout Root) throws {
        guard let field = fields.first(where: { $0.name == name }) else {
            throw AnalysisSettingError.unknown(name: name, known: names)
        }
        var changed = settings
        guard field.set(&changed, value) else {
            throw AnalysisSettingError.badValue(name: name, value: value, accepted: field.accepted)
        }
        settings = changed
    }

    /// Checks each field's value in `settings` against the values the field takes (its own `set` reads it back), so
    /// that settings made in code or on the command line meet the ranges `set` enforces. Throws for the first that does not.
    func check(_ settings: Root) throws {
        for field in fields {
            var copy = settings
            let value = field.get(settings)
            guard field.set(&copy, value) else {
                throw AnalysisSettingError.badValue(name: field.name, value: value, accepted: field.accepted)
            }
        }
    }

    /// The fields of `inner`, a settings value inside `Root`, each named with `prefix` in front.
    static func nested<Inner>(_ inner: NamedSettings<Inner>, at path: WritableKeyPath<Root, Inner>, prefix: String) -> [Field] {
        inner.fields.map { field in
            Field(name: prefix + field.name, get: { field.get($0[keyPath: path]) }, set: { root, text in field.set(&root[keyPath: path], text) },
                  accepted: field.accepted)
        }
    }
}

extension NamedSettings.Field {
    static func int(_ name: String, _ path: WritableKeyPath<Root, Int>, minimum: Int) -> Self {
        Self(name: name, get: { "\($0[keyPath: path])" }, set: { root, text in
            guard let value = Int(text), value >= minimum else { return false }
            root[keyPath: path] = value
            return true
        }, accepted: "an integer, at least \(minimum)")
    }

    /// A number in `range`; `accepted` says which in words when the bounds are not plain numbers (`nextDown`).
    static func double(_ name: String, _ path: WritableKeyPath<Root, Double>, range: ClosedRange<Double>, accepted: String? = nil) -> Self {
        Self(name: name, get: { "\($0[keyPath: path])" }, set: { root, text in
            guard let value = Double(text), range.contains(value) else { return false }
            root[keyPath: path] = value
            return true
        }, accepted: accepted ?? "a number from \(range.lowerBound) to \(range.upperBound)")
    }

    /// A probability or share above 0 (q-value thresholds: 0 would report nothing).
    static func positiveFraction(_ name: String, _ path: WritableKeyPath<Root, Double>) -> Self {
        double(name, path, range: Double.leastNonzeroMagnitude...1, accepted: "a number above 0, at most 1")
    }

    /// A probability above 0 and below 1 (a p-value threshold: 1 would keep every position).
    static func openFraction(_ name: String, _ path: WritableKeyPath<Root, Double>) -> Self {
        double(name, path, range: Double.leastNonzeroMagnitude...(1.0).nextDown, accepted: "a number above 0 and below 1")
    }

    /// A share from 0 (the rule off) to below 1.
    static func shareBelowOne(_ name: String, _ path: WritableKeyPath<Root, Double>) -> Self {
        double(name, path, range: 0...(1.0).nextDown, accepted: "a number from 0 to below 1")
    }

    /// A rule switched on or off: written `on`/`off`; `true`/`false`, `yes`/`no` and `1`/`0` are read too.
    static func flag(_ name: String, _ path: WritableKeyPath<Root, Bool>) -> Self {
        Self(name: name, get: { $0[keyPath: path] ? "on" : "off" }, set: { root, text in
            switch text {
            case "on", "true", "yes", "1": root[keyPath: path] = true
            case "off", "false", "no", "0": root[keyPath: path] = false
            default: return false
            }
            return true
        }, accepted: "on or off")
    }

    /// One of an enumeration's cases, by its raw value (as the command line writes it).
    static func choice<Choice: RawRepresentable & CaseIterable>(_ name: String, _ path: WritableKeyPath<Root, Choice>) -> Self
    where Choice.RawValue == String {
        Self(name: name, get: { $0[keyPath: path].rawValue }, set: { root, text in
            guard let value = Choice(rawValue: text) else { return false }
            root[keyPath: path] = value
            return true
        }, accepted: "one of " + Choice.allCases.map(\.rawValue).joined(separator: ", "))
    }
}

/// A problem with a named analysis setting (`--analysis-setting`, or a sharded part's recorded settings).
public enum AnalysisSettingError: Error, CustomStringConvertible, Equatable {
    /// No setting has this name.
    case unknown(name: String, known: [String])
    /// The setting cannot take this value (not a number, out of its range, not one of its choices); `accepted`
    /// says which values it takes.
    case badValue(name: String, value: String, accepted: String)
    /// Two settings that each take their value but not together (`setting` names the one to change).
    case conflict(setting: String, detail: String)

    public var description: String {
        switch self {
        case let .unknown(name, known): return "no analysis setting '\(name)' (known: \(known.joined(separator: ", ")))"
        case let .badValue(name, value, accepted): return "analysis setting \(name): cannot use '\(value)' (\(accepted))"
        case let .conflict(setting, detail): return "analysis setting \(setting): \(detail)"
        }
    }
}
