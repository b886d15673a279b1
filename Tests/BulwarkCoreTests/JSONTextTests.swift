import BulwarkCore
import Foundation
import Testing

@Suite struct JSONTextTests {
    @Test func writesNestedStructuresWithCommasInTheRightPlaces() {
        var json = JSONText()
        json.beginObject()
        json.member("a", 1)
        json.key("b")
        json.beginArray()
        json.string("x")
        json.beginObject()
        json.endObject()
        json.int(-7)
        json.endArray()
        json.key("c")
        json.rawValue(Array("{\"raw\":true}".utf8))
        json.member("d", "e")
        json.endObject()
        #expect(String(decoding: json.bytes, as: UTF8.self) == #"{"a":1,"b":["x",{},-7],"c":{"raw":true},"d":"e"}"#)
    }

    /// Every character class that needs care, read back by an independent parser (Foundation's).
    @Test(arguments: [
        "plain", "", "quote \" and backslash \\", "slash / stays", "new\nline\ttab\rreturn", "\u{8}\u{C}",
        "\u{0}\u{1}\u{1F}\u{7F}", "naïve – café 🐦", "\u{2028}\u{2029}", "</script>",
    ])
    func stringsSurviveARoundTripThroughJSONSerialization(value: String) throws {
        var json = JSONText()
        json.beginObject()
        json.member(value, value)
        json.endObject()
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(json.bytes)) as? [String: String])
        #expect(parsed == [value: value])
        // Control characters never appear raw.
        #expect(!json.bytes.contains { $0 < 0x20 })
    }

    @Test func controlCharactersUseTheShortEscapesWhereJSONHasThem() {
        var json = JSONText()
        json.string("\n\u{1}\"")
        #expect(String(decoding: json.bytes, as: UTF8.self) == #""\n\u0001\"""#)
    }
}
