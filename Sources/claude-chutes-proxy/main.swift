import ChutesProxy

print("claude-chutes-proxy")
