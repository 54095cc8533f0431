// Package gate is the hub of Airlock: the protocol-agnostic core that every
// protocol front end (protocols/postgres, ssh, http, tool) hands its
// requests to, and that the satellites plug into (approval implements
// Approver, record implements Recorder).
//
// A protocol package depends on the gate through the small Hub interface
// (*Gate implements it). Per client connection it opens a Conn, the session
// handle that owns both directions of every request:
//
//	rules, err := gate.LoadRules("rules.yaml")
//	g := gate.New(gate.Config{Rules: rules, Approver: approver, Recorder: recorder})
//	conn, err := g.Open(ctx, gate.Session{Protocol: gate.ProtocolTool, Identity: agent})
//	if err != nil { ... }                                 // refuse the client
//	defer conn.Close(ctx, "client closed")
//	d, err := conn.Check(ctx, &gate.Request{Command: "lookup(42)", Tool: call})
//	if err != nil { ... }                                 // refused: err is safe to show
//	out := conn.Output(d, "stdout", client, gate.OutputOptions{})
//	_, err = io.Copy(out, upstream)                       // masked, bounded, recorded
//	err = out.Close()                                     // an error ends the connection
//
// Inbound, Check evaluates the rules (CEL expressions compiled once;
// strictest action wins: deny > review > allow; no match means the rule
// file's default, deny when unset; a rule that errors counts as deny), holds
// a review with the Approver when a rule says so, records the decision
// before anything is forwarded, and returns it. Interceptors wrap the rules
// the way net/http middleware wraps a Handler. Refusals a protocol makes
// before the rules (a statement that does not parse, a body above its bound)
// go through Conn.Refuse: recorded as decisions named "<protocol>/<check>",
// counted in session.denied, metered.
//
// Outbound, Conn.Output returns the writer through which a result reaches
// the client: the decision's masker, a recording bound, the recorder and the
// findings tally, under one failure policy (OutputMode): record each chunk
// before forwarding it, or forward and record a bounded copy at the end; in
// both, a recording failure breaks the Conn (Check refuses, writers fail,
// Err and Done say so) and the protocol ends the connection. Conn.Result
// does the same for one whole value (a tool result, an MCP reply). There is
// no output without an allow decision. A recorder that fails a decision
// denies (fail closed) unless Config.FailOpen says otherwise.
//
// Clients authenticate through one hook family: an Authenticator maps the
// Credential a protocol's handshake carried to an Identity.
//
// Rules see identity, session (with counters), request, and one protocol
// variable: sql, ssh, http or tool; request.go documents every field, and
// Variables lists them all for tools. A rule that names a field that does
// not exist is a load error. Decisions are fast:
// rules in a small error-free subset of CEL run as Go closures, and the
// outcomes of the others are cached per rule set, keyed by every value they
// read, when they read nothing that changes by itself (the time, counters).
package gate
