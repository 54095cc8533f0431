// Package tool gates agent tool calls: functions an agent runtime lets a
// model call. Wrap turns a typed Go function into one whose every call is
// judged by the gate's rules, held for review when a rule says so, whose
// result is masked as the decision demands, and whose call and result are
// recorded.
//
//	lookup := tool.Wrap("lookup_customer", func(ctx context.Context, a LookupArgs) (Customer, error) {
//		return api.Customer(ctx, a.ID)
//	})
//	conn, err := g.Open(ctx, gate.Session{Protocol: gate.ProtocolTool, Identity: agent})
//	if err != nil { ... }               // the session could not be recorded
//	defer conn.Close(ctx, "agent done")
//	c, err := lookup(conn.Context(ctx), LookupArgs{ID: 42})
//	if err != nil {
//		return err.Error() // safe to show the model: rule and reason only
//	}
//
// Rules see the call as `tool.name` and `tool.args` (the arguments encoded
// as JSON, so field names follow the argument type's json tags). Parts of
// the arguments held as raw JSON or maps (a json.RawMessage, an any) may
// hold keys a tool reads otherwise than the rules: encoding/json folds
// case ("KIND" and the Kelvin-sign "Kind" fill a field tagged kind) and
// keeps the last of two. A call whose arguments hold, at any depth, a key
// repeated, two keys of one object that fold alike, or a key that folds
// like a word of a rule reading tool arguments without being spelt like
// it, or a "__proto__" key or a "constructor" object holding a
// "prototype" (read as prototypes by JavaScript code that copies or
// merges the arguments), is refused before the rules (rule
// "tool/argument-key"; see
// ArgumentKeys, which the MCP gateway applies too).
//
// Results and error messages leave through the session handle
// (gate.Conn.Result): masked, recorded, and never returned when they could
// not be recorded. Such a failure ends the session: every later call is
// refused without running the tool. A result is masked as its JSON, where
// encoding/json writes a []byte as base64 the masker cannot read: a result
// holding a []byte (at any depth) whose text masking would change is
// withheld with an error (return such data as a string), and so is a
// result holding such a value where its JSON form does not show it (an
// unexported or json:"-" field, at any depth): the caller gets the Go
// value, which the masker never read. So is a result holding compressed
// or archived data (a gzip, zip or xlsx file, a PDF; see internal/packed)
// in a []byte or as base64 or hex text: the masker reads the encoding,
// the caller unpacks it. The recorded
// command shows secret-named arguments as [secret] (RedactArgs).
//
// The one thing not to forget: the context must carry the session handle
// (gate.Conn.Context); a call without one is refused with ErrNoSession.
//
// The MCP gateway, which gates a whole MCP server, lives in the mcpgate
// subpackage.
package tool
