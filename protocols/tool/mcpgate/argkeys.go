package mcpgate

import (
	"context"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
)

// Argument keys are judged by tool.ArgumentKeys: a key that folds like
// another key of its object, or like a word of a rule that reads tool
// arguments, without being spelt like it, is refused before the rules as
// rule "mcp/argument-key".

// refuseArgumentKey refuses a call whose argument keys the upstream could
// read otherwise than the rules (rule "mcp/argument-key").
func (s *session) refuseArgumentKey(ctx context.Context, kind, name, why string) error {
	method := "tools/call "
	if kind == kindPrompt {
		method = "prompts/get "
	}
	reason := why + "; spell each argument key exactly as the tool's rules and schema do"
	req := &gate.Request{Protocol: gate.ProtocolMCP, Command: method + display(name), Tool: &gate.ToolCall{Kind: kind, Name: name}}
	d, _ := s.conn.Refuse(ctx, req, "argument-key", reason)
	return s.failure(ctx, d, "refused", CodeRefused, "airlock: "+strings.TrimSuffix(method, " ")+" "+display(name)+" refused: "+reason)
}
