// Package airlock is the front door of the Airlock SDK: a Layer 7 gate
// between a client (an AI coding agent above all) and production resources.
//
// Every unit of intent that crosses the gate — a SQL statement, an SSH
// command, an HTTP request, an agent tool call — is judged by CEL rules
// (allow, deny, or hold for a human), has its results masked before the
// client sees them, and is written to a tamper-evident session record that
// lives outside the client's process.
//
// The packages:
//
//	gate        the hub: Request, Identity, Decision, CEL rules, gate.Conn (the
//	            session handle every protocol checks and answers through), runs
//	analysis/   the pure analysers: pgsql (SQL, lineage) and shell (commands)
//	mask        detectors and maskers for values, JSON documents and streams
//	approval    approvers: in memory, webhook, a web console for reviewers
//	record      session records: hash chain, signed checkpoints, sinks, replay
//	protocols/  postgres, sshgate, httpgate and tool (typed wrappers, mcpgate)
//
// Wiring a gate takes a few lines:
//
//	rules, err := gate.LoadRules("rules.yaml")
//	sink, err := record.OpenFile("record.jsonl", record.FileOptions{})
//	rec := record.New(sink, record.Options{SigningKey: key})
//	defer rec.Close()
//	g := gate.New(gate.Config{Rules: rules, Approver: &approval.Memory{}, Recorder: rec})
//
//	lookup := tool.Wrap("lookup_customer", lookupCustomer)
//	conn, err := g.Open(ctx, gate.Session{Protocol: gate.ProtocolTool, Identity: agent})
//	defer conn.Close(ctx, "agent done")
//	customer, err := lookup(conn.Context(ctx), args) // judged, masked, recorded
//
// Run `go run ./cmd/airlock demo` to watch it happen.
package airlock
