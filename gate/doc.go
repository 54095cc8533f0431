// Package gate is the hub of Airlock: the protocol-agnostic core that every
// protocol front end (protocols/postgres, ssh, http, tool) hands its
// requests to, and that the satellites plug into (approval implements
// Approver, record implements Recorder).
//
// A protocol package turns a unit of intent into a Request — protocol, the
// Session it belongs to (who, what target, from where), a human-readable
// Command, and the protocol's attributes (parsed SQL statements, shell argv,
// HTTP method and path, tool arguments) — and calls Gate.Check:
//
//	rules, err := gate.LoadRules("rules.yaml")
//	g := gate.New(gate.Config{Rules: rules, Approver: approver, Recorder: recorder})
//	s := &gate.Session{Protocol: gate.ProtocolTool, Identity: agent}
//	if err := g.OpenSession(ctx, s); err != nil { ... }   // refuse the client
//	d, err := g.Check(ctx, &gate.Request{Session: s, Command: "lookup(42)", Tool: call})
//	if err != nil { ... }                                  // refused: err is safe to show
//	out, findings, err := d.Masker.Value("", result)      // mask what the client sees
//	err = g.RecordOutput(ctx, s, gate.Output{DecisionID: d.ID, Data: []byte(out), Findings: findings})
//	_ = g.CloseSession(ctx, s, "done")
//
// Check evaluates the rules (CEL expressions compiled once; strictest action
// wins: deny > review > allow; no match means the rule file's default, deny
// when unset; a rule that errors counts as deny), holds a review with the
// Approver when a rule says so, records the decision before anything is
// forwarded, and returns it. Interceptors wrap the rules the way net/http
// middleware wraps a Handler.
//
// The one thing a caller must not forget: forward only when Check returns a
// nil error, and pass every byte of the result through the decision's
// Masker before the client sees it. A recorder that fails denies (fail
// closed) unless Config.FailOpen says otherwise.
//
// Rules see identity, session (with counters), request, and one protocol
// variable: sql, ssh, http or tool; request.go documents every field, and
// Variables lists them all for tools. A rule that names a field that does
// not exist is a load error. Decisions are fast:
// rules in a small error-free subset of CEL run as Go closures, and the
// outcomes of the others are cached per rule set, keyed by every value they
// read, when they read nothing that changes by itself (the time, counters).
package gate
