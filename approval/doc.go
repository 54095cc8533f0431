// Package approval holds requests for human review: implementations of
// gate.Approver, and front ends through which reviewers vote.
//
//   - Memory keeps reviews in process. It enforces the review policy of each
//     rule (approvals needed, denials that reject, reviewer and break-glass
//     groups, required reasons, TTL), binds each review to the request's
//     digest, and lets an approval be used exactly once.
//   - Webhook keeps reviews in any Store (Memory, pgapproval.Approver),
//     POSTs each held request, signed, to a URL, and takes decisions back
//     through a signed callback (Webhook.Callback).
//   - pgapproval.Approver (package approval/pgapproval) keeps reviews in
//     PostgreSQL, shared by gateway replicas: a request held on one replica
//     is approved through any other, waiters wake through LISTEN/NOTIFY, and
//     an approval is consumed by exactly one replica.
//
// The conformance kit approval/approvertest checks any gate.Approver
// against the contract the gate documents.
//   - Console is an http.Handler for humans: a page of pending reviews that
//     updates live, approve/deny with a reason (and a grant), a history view,
//     a grants view with revocation, and a JSON API.
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
// Every review carries the full payload of the held request as the gate
// masked it (gate.ReviewRequest.Details): the HTTP body, the bound SQL
// parameters, the tool arguments, each part marked when it cannot be shown.
// Consoles, webhooks and the PostgreSQL store only ever see the masked
// form; the approval stays bound to the digest of the unmasked request.
//
// Grants (just-in-time access): a reviewer may approve with a grant
// (Granter.ApproveGrant, or "grant" in a Decision), for rules whose review
// policy sets max_grant. Memory and pgapproval.Approver keep grants and implement
// gate.GrantStore, which the gate consults before holding a request.
//
// What an approval binds: the request's digest covers the identity, target,
// exact command and payload, the attributes the rules judged and reviewers
// were shown (HTTP host and headers, the statements behind an EXECUTE, SQL
// parameters, tool arguments) and the rule-set version. A grant is bound
// likewise, and ends when the rule set changes. When several review rules
// hold a request, each vote must be allowed by every one of them
// (gate.ReviewPolicy.RuleParts).
//
// Stores outside the process are not trusted blindly: before an approval
// or a grant kept in PostgreSQL is used, its votes are replayed against the
// review's own policy (CheckApproved, CheckGrant), so a row edited in place
// (a state flipped to approved, an agent's vote written in, a grant
// widened or forged, an expiry pushed back) lets nothing run.
//
// Webhook notifications follow the Standard Webhooks scheme (webhook-id,
// webhook-timestamp, webhook-signature "v1,<base64 HMAC-SHA256>"), so stock
// verifiers work with the secret SecretString(Webhook.Secret).
//
// Tests can script a reviewer with Memory.WaitPending and Memory.Approve.
//
// The one thing not to forget: a reviewer is only as trustworthy as the
// identity you hand the approver. Requesters can never review their own
// request and agents (identities of kind agent, or with no kind) can never
// review at all, so authenticate reviewers with identities of kind human or
// service, and never with the identity of the agent being reviewed.
package approval
