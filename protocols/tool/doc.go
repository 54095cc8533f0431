// Package tool gates agent tool calls: functions an agent runtime lets a
// model call. Wrap turns a typed Go function into one whose every call is
// judged by the gate's rules, held for review when a rule says so, whose
// result is masked as the decision demands, and whose call and result are
// recorded.
//
//	lookup := tool.Wrap(g, "lookup_customer", func(ctx context.Context, a LookupArgs) (Customer, error) {
//		return api.Customer(ctx, a.ID)
//	})
//	ctx = gate.WithSession(ctx, session) // opened with g.OpenSession
//	c, err := lookup(ctx, LookupArgs{ID: 42})
//	if err != nil {
//		return err.Error() // safe to show the model: rule and reason only
//	}
//
// Rules see the call as `tool.name` and `tool.args` (the arguments encoded
// as JSON, so field names follow the argument type's json tags).
//
// The one thing not to forget: the context must carry the session
// (gate.WithSession); a call without one is refused.
//
// The MCP gateway, which gates a whole MCP server, lives in the mcp
// subpackage.
package tool
