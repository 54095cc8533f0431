// Package httpgate puts the Airlock gate in front of HTTP APIs. It lives in
// the directory protocols/http but is named httpgate so that it does not
// shadow net/http in the files that import both.
//
// It offers two things built on one Gateway:
//
//   - a middleware, Gateway.Middleware (a func(http.Handler) http.Handler),
//     for services that embed the gate, and
//   - a reverse proxy, Gateway.Proxy, for gating an upstream the team does
//     not own; it holds the upstream credential and strips the client's.
//
// Every request is turned into a gate.Request with a canonical model
// (gate.HTTP): the method, the normalised path (percent-decoded once,
// dot-segments resolved, duplicate slashes collapsed, lower-cased when
// configured), the query, the headers with lower-case names and the JSON
// body. What is forwarded is exactly what was modelled: the handler or the
// upstream sees the canonical path, the re-encoded query and the decoded
// body. Requests that cannot be modelled without ambiguity are refused
// before the rules run (400, 405, 413 or 415 with an RFC 9457 problem
// document): encoded slashes, backslashes, ';' path parameters,
// double-encoding, dot-segments above the root, non-standard or lower-case
// methods, method-override headers and _method parameters (unless honoured,
// see MethodOverrideHonour), duplicate query parameters (also by case),
// header names with '_', path-override headers (X-Original-URL,
// X-Rewrite-URL), protocol upgrades (WebSocket, h2c), duplicate JSON
// keys (also ones that differ only in case), invalid UTF-8, oversized
// bodies, compressed bodies that decode above the limit or use a coding
// other than gzip and deflate, JSON sent under another Content-Type,
// charsets other than UTF-8, and multipart bodies. Set LowerCasePaths for
// upstreams that route paths case-insensitively.
//
// A denied request gets 403 application/problem+json naming the rule and the
// reason. A request held for review blocks in the gate's Hold mode; in
// RefuseThenRetry mode it gets 409 Conflict with the approval id (in the
// problem document and the Airlock-Approval-Id header) and a Retry-After.
//
// Responses are masked by the decision's masker (gate.Decision.Masker):
// JSON bodies through the JSON masker (structure kept, numbers included,
// Content-Length fixed; recorded before they are sent, so a response that
// cannot be recorded is not sent), server-sent events one whole event at a
// time as they complete, and any other body through the stream masker,
// which holds back a few KiB that could still start a match. gzip and
// deflate bodies are decoded, masked and re-encoded for clients that
// accept the coding, and served decoded to the others. The proxy offers
// upstreams only gzip or identity (Accept-Encoding is rewritten; there is
// no brotli decoder in the module) and answers 502 to a masked response in
// any other coding. Response headers go through the field rules and
// detectors; trailers of masked responses are dropped. A masking failure
// before the headers are sent gives 502; after, the response is cut.
//
// Recording: the gate records each decision with its gate.Request, whose
// Secrets list the values of secret request headers (DefaultSecretHeaders)
// so that the recorder stores them as HMACs; the body is recorded up to
// RecordBytes (beyond, its SHA-256 and length). The response, as the client
// received it (status line, headers with Set-Cookie values redacted, masked
// body bounded by RecordBytes, Output.Truncated as the truncation marker),
// is recorded with Gate.RecordOutput. A request refused before the rules
// ran is recorded as a deny decision of the check "httpgate/<check>".
//
// Sessions: one gate.Session per client identity, shared by that identity's
// concurrent requests (so session.requests counts across them), and closed
// after IdleTimeout without requests (or one per request when IdleTimeout
// is negative). The handler behind the middleware finds it with
// gate.SessionFrom.
//
// Usage:
//
//	gw, err := httpgate.New(httpgate.Config{
//		Gate:     g, // a *gate.Gate with rules, approver and recorder
//		Target:   "billing-api",
//		Identify: httpgate.BearerTokens(map[string]gate.Identity{token: {Subject: "agent-1"}}),
//	})
//	if err != nil { ... }
//	defer gw.Close()
//	proxy, err := gw.Proxy(httpgate.ProxyConfig{
//		Upstream:   upstreamURL,
//		Credential: httpgate.BearerCredential(os.Getenv("BILLING_TOKEN")),
//	})
//	http.ListenAndServe(":8080", proxy) // or gw.Middleware(yourHandler)
//
// Do not forget Close: it ends the janitor goroutine and records the end of
// every open session.
package httpgate
