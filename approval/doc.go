// Package approval holds requests for human review: implementations of
// gate.Approver, and front ends through which reviewers vote.
//
//   - Memory keeps reviews in process. It enforces the review policy of each
//     rule (approvals needed, denials that reject, reviewer and break-glass
//     groups, required reasons, TTL), binds each review to the request's
//     digest, and lets an approval be used exactly once.
//   - Webhook is a Memory that also POSTs each held request, signed, to a URL,
//     and takes decisions back through a signed callback (Webhook.Callback).
//   - Postgres keeps reviews in PostgreSQL, shared by gateway replicas: a
//     request held on one replica is approved through any other, waiters wake
//     through LISTEN/NOTIFY, and an approval is consumed by exactly one replica.
//   - Console is an http.Handler for humans: a page of pending reviews that
//     updates live, approve/deny with a reason, a history view, and a JSON API.
//     It works over any Reviewable approver.
//
// Usage:
//
//	mem := &approval.Memory{}
//	g := gate.New(gate.Config{Rules: rules, Approver: mem, Recorder: rec})
//	console := &approval.Console{
//		Approver:     mem,
//		Authenticate: approval.BearerTokens(map[string]gate.Identity{token: alice}),
//	}
//	http.Handle("/review/", http.StripPrefix("/review", console))
//
// Tests can script a reviewer with Memory.WaitPending and Memory.Approve.
//
// The one thing not to forget: a reviewer is only as trustworthy as the
// identity you hand the approver. Requesters can never review their own
// request and agents (identities of kind agent, or with no kind) can never
// review at all, so authenticate reviewers with identities of kind human or
// service, and never with the identity of the agent being reviewed.
package approval
