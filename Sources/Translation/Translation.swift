/// Translation: Anthropic Messages <-> OpenAI chat completions, as pure functions.
public enum Translation {}
