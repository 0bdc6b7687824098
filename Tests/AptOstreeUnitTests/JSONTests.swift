import AptOstreeModel
import Testing

@Suite struct JSONTests {
    @Test func serializesWithSortedKeysAndJsonGlibSpacing() {
        let v: JSONValue = ["b": 1, "a": ["x", true, nil], "c": [:]]
        #expect(v.serialized() == """
            {
              "a" : [
                "x",
                true,
                null
              ],
              "b" : 1,
              "c" : {}
            }
            """)
        #expect(v.serialized(pretty: false) == #"{"a":["x",true,null],"b":1,"c":{}}"#)
    }

    @Test func escapesControlCharactersAndQuotes() {
        #expect(JSONValue.string("a\"b\\c\nd\u{01}é").serialized() == #""a\"b\\c\nd\u0001é""#)
    }

    @Test func parserRoundTripsSerializerOutput() throws {
        let v: JSONValue = ["deployments": [["id": "x-1.0", "serial": 0, "ts": 1767441600, "ok": false]],
                            "s": "line\nnext \"q\" é", "neg": -5, "d": .double(1.5)]
        #expect(try JSONParser.parse(v.serialized()) == v)
        #expect(try JSONParser.parse(v.serialized(pretty: false)) == v)
        #expect(try JSONParser.parse(#""\u00e9\ud83d\ude00""#) == .string("é😀"))
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "tru", "\"unterminated", "1 2", "{\"a\":1,}"])
    func parserRejectsMalformedInput(_ text: String) {
        #expect(throws: AptOstreeError.self) { try JSONParser.parse(text) }
    }
}

@Suite struct JSONPathTests {
    let doc: JSONValue = [
        "deployments": [
            ["checksum": "aaa", "version": "1.1", "booted": true],
            ["checksum": "bbb", "version": "1.0", "booted": false],
            ["checksum": "ccc", "booted": false],
        ],
        "transaction": nil,
    ]

    @Test func selectsMemberAndIndex() throws {
        #expect(try JSONPath("$.deployments[0].checksum").evaluate(doc) == ["aaa"])
        #expect(try JSONPath("$['deployments'][-1]['checksum']").evaluate(doc) == ["ccc"])
        #expect(try JSONPath("$.transaction").evaluate(doc) == [nil])
    }

    @Test func wildcardAndRecursiveDescentKeepDocumentOrder() throws {
        #expect(try JSONPath("$.deployments[*].checksum").evaluate(doc) == ["aaa", "bbb", "ccc"])
        #expect(try JSONPath("$..version").evaluate(doc) == ["1.1", "1.0"])
        #expect(try JSONPath("$.deployments.*.booted").evaluate(doc) == [true, false, false])
    }

    @Test func slicesAndUnions() throws {
        #expect(try JSONPath("$.deployments[1:].checksum").evaluate(doc) == ["bbb", "ccc"])
        #expect(try JSONPath("$.deployments[:1].checksum").evaluate(doc) == ["aaa"])
        #expect(try JSONPath("$.deployments[0,2].checksum").evaluate(doc) == ["aaa", "ccc"])
        #expect(try JSONPath("$.deployments[7].checksum").evaluate(doc) == [])
    }

    @Test(arguments: ["deployments", "$.", "$[", "$[x]", "$['a]", "$.a b"])
    func rejectsMalformedExpressions(_ expr: String) {
        #expect(throws: AptOstreeError.self) { try JSONPath(expr) }
    }
}
