import TestSupport
import Testing

@testable import JSON

@Suite struct JSONParsingTests {
    @Test func parsesEveryType() throws {
        let value = try JSONValue.parse(#"{"a":null,"b":true,"c":-12,"d":1.5e3,"e":"x\"\u00e9\ud83d\ude00","f":[1,{}],"g":{}}"#)
        #expect(value["a"] == .null)
        #expect(value["b"] == .bool(true))
        #expect(value["c"] == .int(-12))
        #expect(value["d"] == .double(1500))
        #expect(value["e"] == .string("x\"é😀"))
        #expect(value["f"] == [1, .object([:])])
        #expect(value["g"]?.objectValue?.isEmpty == true)
    }

    @Test func keepsOrderAndDuplicatesAndReadsTheLast() throws {
        let value = try JSONValue.parse(#"{"sub":"a","iss":"x","sub":"b"}"#)
        #expect(value.objectValue?.keys == ["sub", "iss", "sub"])
        #expect(value["sub"] == "b")
        #expect(value.serializedString() == #"{"sub":"a","iss":"x","sub":"b"}"#)
    }

    @Test(arguments: [
        "", " ", "{", "[1,]", #"{"a":1,}"#, "01", "1.", ".5", "-", "1e", "tru", "nul", #""\x""#,
        "\"a\nb\"", #""\ud800""#, "1e999", "-1e400", #""\udc00x""#, "[1] 2", "{a:1}", "'a'", "NaN", "[1,,2]", "\u{00}",
    ])
    func rejectsMalformedText(_ text: String) {
        #expect(throws: JSONError.self) { try JSONValue.parse(text) }
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: JSONError.self) { try JSONValue.parse([0x22, 0xFF, 0x22]) }
    }

    @Test func limitsDepth() {
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        #expect(throws: JSONError(reason: .tooDeep(limit: 256), offset: 256)) { try JSONValue.parse(deep) }
        #expect((try? JSONValue.parse(deep, maxDepth: 400)) != nil)
    }

    @Test func errorNamesTheOffset() {
        do {
            _ = try JSONValue.parse(#"{"a":tru}"#)
            Issue.record("expected an error")
        } catch {
            #expect(error.offset == 8)
            #expect(error.description.contains("byte 8: unexpected '}'"))
        }
    }

    @Test func pointerWalksObjectsAndArrays() throws {
        let value = try JSONValue.parse(#"{"a":{"b/c":[10,{"d~e":"x"}]}}"#)
        #expect(value.value(atPointer: "/a/b~1c/0") == 10)
        #expect(value.value(atPointer: "/a/b~1c/1/d~0e") == "x")
        #expect(value.value(atPointer: "") == value)
        #expect(value.value(atPointer: "/a/missing") == nil)
        #expect(value.value(atPointer: "/a/b~1c/9") == nil)
    }
}

@Suite struct JSONWritingTests {
    @Test func escapesWhatMustBeEscaped() {
        let value: JSONValue = ["s": "q\"b\\n\n\u{01}é/"]
        #expect(value.serializedString() == #"{"s":"q\"b\\n\n\u0001é/"}"#)
    }

    @Test func writesNumbers() {
        let value: JSONValue = [0, -1, .int(Int64.min), .int(Int64.max), 1.0, 0.1, -2.5e-8, .double(.nan)]
        #expect(value.serializedString() == "[0,-1,-9223372036854775808,9223372036854775807,1,0.1,-2.5e-08,null]")
    }

    @Test func roundTripsThroughTheParser() throws {
        let value: JSONValue = ["a": [1, 2.25, "x", nil, true, ["b": [:]]], "z": "\u{1F600}\t"]
        #expect(try JSONValue.parse(value.serialized()) == value)
        #expect(try JSONValue.parse(value.serializedString(pretty: true)) == value)
    }

    @Test func numbersCompareByValue() throws {
        #expect(try JSONValue.parse("3e2") == .int(300))
        #expect(JSONValue.int(1) == .double(1.0))
        #expect(JSONValue.int(1) != .double(1.5))
        #expect(Set<JSONValue>([.int(2), .double(2)]).count == 1)
        #expect(JSONValue.int(1) != .string("1"))
    }

    @Test func subscriptSetReplacesDuplicatesInPlace() {
        var object = JSONObject()
        object["a"] = 1
        object.appendDuplicate("b", 2)
        object.appendDuplicate("a", 3)
        object["a"] = 4
        #expect(JSONValue.object(object).serializedString() == #"{"a":4,"b":2}"#)
        object["b"] = nil
        #expect(object.keys == ["a"])
    }
}

@Suite struct JSONFuzzTests {
    /// Seeded mutations of valid documents: the parser must always end in a value or a JSONError,
    /// and whatever it accepts must survive a write/parse round trip unchanged.
    @Test func mutatedDocumentsNeverCrashAndRoundTrip() {
        let seeds: [String] = [
            #"{"a":[1,2.5,-3e2,true,false,null],"b":{"c":"d\u00e9\n"},"e":""}"#,
            #"[{"k":"v"},[[[]]],{"":0}]"#,
            #"{"iss":"http://127.0.0.1:4100","sub":"user_01","exp":1795609755,"roles":["admin"]}"#,
        ]
        var random = SplitMix64(seed: 0x5EED)
        func next() -> UInt64 { random.next() }
        let alphabet = Array(#"{}[]":,\-+.0123456789eEtrufalsn \u"#.utf8) + [0x00, 0x0A, 0xC3, 0xA9, 0xFF]
        var accepted = 0
        for iteration in 0..<5000 {
            var bytes = Array(seeds[iteration % seeds.count].utf8)
            for _ in 0..<(1 + Int(next() % 4)) {
                let position = Int(next() % UInt64(bytes.count + 1))
                switch next() % 3 {
                case 0 where position < bytes.count: bytes.remove(at: position)
                case 1: bytes.insert(alphabet[Int(next() % UInt64(alphabet.count))], at: position)
                default: if position < bytes.count { bytes[position] = alphabet[Int(next() % UInt64(alphabet.count))] }
                }
            }
            guard let value = try? JSONValue.parse(bytes) else { continue }
            accepted += 1
            #expect((try? JSONValue.parse(value.serialized())) == value, "round trip of \(String(decoding: bytes, as: UTF8.self))")
        }
        #expect(accepted > 0)
    }
}
