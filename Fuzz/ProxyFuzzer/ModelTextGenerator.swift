/// Builds model output text from a fuzz input: pieces of every family's tool-call markup,
/// think tags and code fences mixed with raw bytes, so short inputs reach deep parser states.
enum ModelTextGenerator {
    static let vocabulary: [String] = [
        "<think>", "</think>", "```", "```json\n", "hello ", "\n", " ", "é👋", "\"", "{", "}", "[", "]", ",", ":",
        "<tool_call>", "</tool_call>", "{\"name\": \"Read\", \"arguments\": {\"path\": \"/a\"}}", "{\"name\": \"Nope\", \"arguments\": {}}",
        "<function=Write>", "</function>", "<parameter=path>", "</parameter>", "<parameter=mode>", "420", "<arg_key>", "</arg_key>", "<arg_value>", "</arg_value>", "Read\n",
        "<｜tool▁calls▁begin｜>", "<｜tool▁call▁begin｜>", "<｜tool▁sep｜>", "<｜tool▁call▁end｜>", "<｜tool▁calls▁end｜>", "function",
        "<｜DSML｜function_calls>", "</｜DSML｜function_calls>", "<｜DSML｜invoke name=\"Read\">", "</｜DSML｜invoke>", "<｜DSML｜parameter name=\"path\" string=\"true\">", "</｜DSML｜parameter>",
        "<|tool_calls_section_begin|>", "<|tool_call_begin|>", "functions.Read:0", "<|tool_call_argument_begin|>", "<|tool_call_end|>", "<|tool_calls_section_end|>",
        "[TOOL_CALLS]", "[TOOL_CALLS] [", "[ARGS]", "<|python_tag|>", "{\"name\": \"Write\", \"parameters\": {\"path\": \"/b\", \"content\": \"x\"}}",
        "<|channel|>commentary to=functions.Read <|constrain|>json<|message|>", "<|call|>", "<|start|>assistant", "<|end|>",
        "{\"path\": \"/etc/hosts\"}", "{\"path\": ", "'single'", "True", "None", "\\", "\\u00e9", "\u{0}",
        // The 2026 families: MiniMax-M2, Seed-OSS, DeepSeek V4, Kimi K3, LongCat, Step-3, Gemma 4.
        "<minimax:tool_call>", "</minimax:tool_call>", "<invoke name=\"Read\">", "</invoke>", "<parameter name=\"path\">", "<seed:tool_call>", "</seed:tool_call>",
        "<seed:think>", "</seed:think>", "<｜DSML｜tool_calls>", "</｜DSML｜tool_calls>", "<|open|>tools<|sep|>", "<|close|>tools<|sep|>",
        "<|open|>call tool=\"Read\"<|sep|>", "<|close|>call<|sep|>", "<|open|>argument key=\"path\" type=\"string\"<|sep|>", "<|close|>argument<|sep|>",
        "<|open|>response<|sep|>", "<longcat_tool_call>", "</longcat_tool_call>", "<longcat_arg_key>", "</longcat_arg_key>", "<longcat_arg_value>",
        "<｜tool_calls_begin｜>", "<｜tool_call_begin｜>", "<｜tool_sep｜>", "<steptml:invoke name=\"Read\">", "<steptml:parameter name=\"path\">",
        "</steptml:parameter>", "</steptml:invoke>", "<｜tool_call_end｜>", "<｜tool_calls_end｜>", "<|tool_call>", "call:Read{", "path:", "<|\"|>", "<tool_call|>",
    ]

    /// Pieces of text as a model might stream them.
    static func pieces(from input: inout FuzzInput, maxPieces: Int = 24) -> [String] {
        var pieces: [String] = []
        while !input.isEmpty && pieces.count < maxPieces {
            let choice = Int(input.byte())
            // About a fifth of the byte values stay raw bytes, however long the vocabulary grows.
            if choice < 208 {
                pieces.append(vocabulary[choice % vocabulary.count])
            } else {
                pieces.append(String(decoding: input.take(1 + input.choose(12)), as: UTF8.self))
            }
        }
        return pieces
    }
}
