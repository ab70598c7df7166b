import JSON
import Testing

@testable import Translation

private func translate(_ request: String, options: TranslationOptions = .init()) throws -> (upstream: JSONValue, context: RequestContext) {
    try RequestTranslator.translate(JSONValue(parsing: request), options: options)
}

/// What `client.messages.parse(output_format=Person)` sends for a pydantic model with a nested
/// model, an optional field and a literal (the SDK's `transform_schema` output).
let pydanticSchema: JSONValue = [
    "type": "object",
    "properties": [
        "name": ["type": "string"],
        "age": ["type": "integer"],
        "role": ["type": "string", "enum": ["admin", "user"]],
        "address": ["anyOf": [["$ref": "#/$defs/Address"], ["type": "null"]]],
        "tags": ["type": "array", "items": ["type": "string"]],
    ],
    "required": ["name", "age", "role", "address", "tags"],
    "additionalProperties": false,
    "$defs": [
        "Address": [
            "type": "object", "properties": ["city": ["type": "string"], "kind": ["const": "postal"]], "required": ["city", "kind"], "additionalProperties": false,
        ]
    ],
]

@Suite struct StructuredOutputTests {
    @Test func aFormatBecomesResponseFormatWithTheSchema() throws {
        let request: JSONValue = [
            "model": "m", "max_tokens": 10, "messages": [["role": "user", "content": "x"]], "output_config": ["format": ["type": "json_schema", "schema": pydanticSchema]],
        ]
        let (upstream, context) = try translate(request.jsonText)
        #expect(upstream["response_format"] == ["type": "json_schema", "json_schema": ["name": "output", "schema": pydanticSchema, "strict": true]])
        #expect(context.outputSchema == pydanticSchema)
        #expect(upstream["messages"]?.arrayValue?.count == 1)  // no system message added
    }

    @Test func instructedModeStatesTheSchemaInTheSystemMessageInstead() throws {
        var options = TranslationOptions()
        options.structuredOutput = .instructed
        let request: JSONValue = [
            "model": "m", "max_tokens": 10, "system": "Be exact.", "messages": [["role": "user", "content": "x"]],
            "output_config": ["format": ["type": "json_schema", "schema": pydanticSchema]],
        ]
        let upstream = try translate(request.jsonText, options: options).upstream
        #expect(upstream["response_format"] == nil)
        let system = try #require(upstream["messages"]?[0]?["content"]?.stringValue)
        #expect(system.hasPrefix("Be exact.\n\n"))
        #expect(system.contains(pydanticSchema.jsonText))
    }

    @Test func strictToolsBecomeStrictFunctions() throws {
        let upstream = try translate(
            #"{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"a","input_schema":{"type":"object"},"strict":true},{"name":"b","input_schema":{"type":"object"},"strict":false},{"name":"c","input_schema":{"type":"object"}}]}"#
        ).upstream
        #expect(upstream["tools"]?[0]?["function"]?["strict"] == true)
        #expect(upstream["tools"]?[1]?["function"]?["strict"] == nil)
        #expect(upstream["tools"]?[2]?["function"]?["strict"] == nil)
    }

    @Test(arguments: [
        (#""output_config":"high""#, "output_config"),
        (#""output_config":{"effort":"huge"}"#, "output_config.effort"),
        (#""output_config":{"effort":3}"#, "output_config.effort"),
        (#""output_config":{"format":"json"}"#, "output_config.format"),
        (#""output_config":{"format":{"schema":{}}}"#, "output_config.format.type"),
        (#""output_config":{"format":{"type":"regex","schema":{}}}"#, "output_config.format.type"),
        (#""output_config":{"format":{"type":"json_schema"}}"#, "output_config.format.schema"),
        (#""output_config":{"format":{"type":"json_schema","schema":[1]}}"#, "output_config.format.schema"),
        (#""tools":[{"name":"a","input_schema":{},"strict":"yes"}]"#, "tools.0.strict"),
    ])
    func badFieldsAreRefusedNamingTheField(fields: String, field: String) throws {
        let error = try #require(throws: TranslationError.self) { try translate(#"{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"x"}],\#(fields)}"#) }
        #expect(error.field == field)
    }

    @Test(arguments: [("low", "low"), ("medium", "medium"), ("high", "high"), ("xhigh", "high"), ("max", "high")])
    func everyEffortLevelHasAReasoningEffort(effort: String, expected: String) throws {
        let upstream = try translate(#"{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"x"}],"output_config":{"effort":"\#(effort)"}}"#).upstream
        #expect(upstream["reasoning_effort"]?.stringValue == expected)
    }

    @Test(arguments: [("low", 1024), ("high", 16384), ("xhigh", 32768), ("max", -1)])
    func seedOSSGetsAThinkingBudgetItsTemplateReads(effort: String, budget: Int) throws {
        let upstream = try translate(
            #"{"model":"ByteDance-Seed/Seed-OSS-36B-Instruct","max_tokens":10,"messages":[{"role":"user","content":"x"}],"output_config":{"effort":"\#(effort)"}}"#
        ).upstream
        #expect(upstream["chat_template_kwargs"]?["thinking_budget"]?.intValue == budget)
        let other = try translate(#"{"model":"zai-org/GLM-4.6","max_tokens":10,"messages":[{"role":"user","content":"x"}],"output_config":{"effort":"\#(effort)"}}"#).upstream
        #expect(other["chat_template_kwargs"] == nil)
    }
}

@Suite struct JSONSchemaValidatorTests {
    private func check(_ text: String, _ schema: JSONValue = pydanticSchema) -> JSONSchemaValidator.Failure? {
        do {
            try JSONSchemaValidator.validate(try JSONValue(parsing: text), against: schema)
            return nil
        } catch let failure as JSONSchemaValidator.Failure {
            return failure
        } catch {
            return JSONSchemaValidator.Failure(path: "", reason: "not JSON")
        }
    }

    @Test func aMatchingValuePasses() {
        #expect(check(#"{"name":"Ada","age":36,"role":"admin","address":{"city":"London","kind":"postal"},"tags":[]}"#) == nil)
        #expect(check(#"{"name":"Ada","age":36.0,"role":"user","address":null,"tags":["a"]}"#) == nil)
    }

    @Test(arguments: [
        (#"{"name":"Ada","age":36,"role":"admin","address":null}"#, "$", "required property \"tags\""),
        (#"{"name":"Ada","age":36.5,"role":"admin","address":null,"tags":[]}"#, "$.age", "expected integer"),
        (#"{"name":"Ada","age":36,"role":"root","address":null,"tags":[]}"#, "$.role", "not one of"),
        (#"{"name":"Ada","age":36,"role":"user","address":{"city":"x","kind":"po"},"tags":[]}"#, "$.address", "anyOf"),
        (#"{"name":"Ada","age":36,"role":"user","address":null,"tags":[1]}"#, "$.tags.0", "expected string"),
        (#"{"name":"Ada","age":36,"role":"user","address":null,"tags":[],"extra":1}"#, "$", "\"extra\" is not allowed"),
        (#"[1]"#, "$", "expected object"),
    ])
    func aMismatchIsNamedWithItsPath(value: String, path: String, reason: String) throws {
        let failure = try #require(check(value))
        #expect(failure.path == path)
        #expect(failure.reason.contains(reason))
    }

    @Test func oneOfWantsExactlyOneMatch() {
        let schema: JSONValue = ["oneOf": [["type": "integer"], ["type": "number"]]]
        #expect(check("1.5", schema) == nil)
        #expect(check("2", schema)?.reason.contains("2 of the oneOf") == true)
    }

    @Test func aSelfReferencingOrExplosiveSchemaEndsWithAFailureWithinItsBudget() throws {
        // anyOf of two alternatives that both fail deep down, nested through a $ref to itself:
        // 2^depth paths without the budget.
        let explosive: JSONValue = [
            "$defs": ["N": ["anyOf": [["$ref": "#/$defs/N"], ["$ref": "#/$defs/N"]]]],
            "$ref": "#/$defs/N",
        ]
        // 2^64 paths to the depth bound: the step budget ends it, and says so.
        #expect(check("1", explosive)?.reason.contains("more than \(JSONSchemaValidator.baseSteps + 16) steps") == true)
        // A large document that matches gets a budget that grows with it.
        let many = JSONValue.array(Array(repeating: ["name": "Ada", "age": 36, "role": "user", "address": nil, "tags": ["x"]], count: 2000))
        #expect(check(many.jsonText, ["type": "array", "items": pydanticSchema]) == nil)
        let loop: JSONValue = ["$defs": ["A": ["$ref": "#/$defs/A"]], "$ref": "#/$defs/A"]
        #expect(check("1", loop)?.reason.contains("deeper") == true)
        #expect(check("1", ["$ref": "http://example.com/schema"])?.reason.contains("unresolvable") == true)
    }

    @Test func theAnswerIsTakenOutOfACodeFenceAndChecked() throws {
        let answer = "```json\n{\"name\":\"Ada\",\"age\":36,\"role\":\"admin\",\"address\":null,\"tags\":[]}\n```"
        #expect(try StructuredOutput.checkedAnswer(answer, schema: pydanticSchema) == #"{"name":"Ada","age":36,"role":"admin","address":null,"tags":[]}"#)
        #expect(throws: StructuredOutput.Mismatch.self) { try StructuredOutput.checkedAnswer("Sure! Here it is.", schema: pydanticSchema) }
        #expect(throws: StructuredOutput.Mismatch.self) { try StructuredOutput.checkedAnswer(#"{"name":"Ada"}"#, schema: pydanticSchema) }
    }
}
