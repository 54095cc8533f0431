// Package mcpgate is Airlock's Model Context Protocol gateway: an MCP server
// toward the agent and an MCP client toward an upstream MCP server that the
// team may not be able to modify. Every tools/call, resources/read and
// prompts/get crosses the gate (rules, review, masking, recording) before it
// reaches the upstream, and every list is filtered so the model does not see
// what it could never use.
//
// Rules see MCP requests with request.protocol "mcp" and the tool variable:
//
//	tools/call       tool.kind "call",     tool.name, tool.args (decoded JSON)
//	resources/read   tool.kind "resource", tool.uri (tool.name is empty)
//	prompts/get      tool.kind "prompt",   tool.name, tool.args (strings)
//	*/list           tool.kind "list",     tool.name the method ("tools/list")
//
// A refused call is a tool error result naming the rule and reason, which the
// model reads; a refused read, prompt or list is a JSON-RPC error with code
// CodeRefused. In refuse-then-retry mode the text carries the approval id.
// While a review holds a request, the client receives progress notifications
// (when it sent a progress token). Text is masked with the value masker,
// structuredContent with the JSON masker; images, audio and blobs are
// withheld when a mask applies, and so is a result whose text or
// structured content holds compressed or archived data as base64 or hex
// (an exported gzip, zip or xlsx file, a PDF; see internal/packed): the
// masker reads the encoding, the client unpacks it. Under a mask, MIME types are masked like
// text, annotations and _meta are dropped, a prompt message whose role is
// not user or assistant fails the request, and adjacent text blocks are
// also read as one (joined as a client may show them): a value split
// across blocks is masked by joining them, and one split across a
// resource's contents, a prompt's messages, or a text block and an
// embedded resource or a resource link (read in order, as the model
// reads them) fails the request.
//
// Each client session is one gate session handle (gate.Conn): every request
// is checked through it, and every answer leaves through it (Conn.Result),
// recorded as the client receives it before it is sent. An answer that
// cannot be recorded is withheld: the client gets an error instead, and the
// session ends (a stdio connection closes, an HTTP session is removed).
//
// Names are exact. A tools/call or prompts/get is forwarded only when its
// name is, byte for byte, one the upstream advertised in this session and
// the discovery filter showed; a resources/read only when its URI equals an
// advertised resource URI or matches an advertised resource template (RFC
// 6570, as the Go SDK server routes reads; the match is then judged by the
// rules). Anything else (another case, a look-alike letter, a trailing space
// or NUL) is refused before the rules with CodeUnknownName or
// CodeResourceNotFound, and recorded as a deny of rule "mcp/unknown-name"
// (gate.Conn.Refuse: counted in session.denied like any refusal), so that a rule on "delete_everything" cannot be walked around through an
// upstream that also answers to "Delete_Everything". An advertised name
// that is another spelling of a hidden one is refused the same way. The gateway reads the
// upstream's lists itself (every page) when a client calls a name it has not
// listed, and reads the whole list of a kind (tools, prompts, resources)
// once per session before the first call, get or read of that kind is
// judged, so that a hidden name on a page the client never listed is known.
//
// Resource URIs are judged as spelt, so a URI read through a template must
// be spelt canonically (RFC 3986 normal form, and what a file server would
// fold): a lower-case scheme and host, no trailing dot on the host, no "."
// or ".." or empty path segment, no trailing slash, no backslash, space or
// control character, no fragment, and percent-escapes in upper case only
// of characters that need one (never a letter, digit, "-._~", "/", "\" or
// "%"). Any other spelling is refused before the rules with
// CodeResourceNotFound as rule "mcp/uri-spelling"; a URI the upstream lists
// exactly is its own spelling. A forgiving file server serves
// files:///data/SECRET, files:///data/secret. and, for café,
// files:///data/cafe%CC%81 as one file: a template read is also judged,
// without recording, in lower case, without trailing dots, with its
// non-ASCII characters escaped or not and composed or decomposed, and
// refused the same way when a rule holds, denies or masks one of those
// readings where it does not the URI as sent.
//
// Argument keys are judged as spelt, while an upstream written with Go's
// encoding/json matches them by Unicode simple folding ("ID" and "id", a
// Kelvin sign and "k"). A tools/call or prompts/get whose arguments hold,
// at any depth, two keys of one object that fold alike, or a key that
// folds like a word of a rule reading tool arguments without being spelt
// like it, or a "__proto__" key or a "constructor" object holding a
// "prototype" (a tool in JavaScript that copies or merges its arguments
// reads them as prototypes, whose keys the rules do not see), is refused
// before the rules with CodeRefused as rule "mcp/argument-key". Keys that fold like nothing the rules read keep
// their case. So is a call with an argument key the tool's input schema
// does not declare (properties, at any depth the schema declares them,
// also inside allOf/anyOf/oneOf and local $refs), or a prompt argument the
// prompt does not list: an upstream
// may act on an undeclared alias ("file" beside "path") that no rule reads.
// A schema that admits other keys (additionalProperties true or a schema,
// patternProperties, or neither properties nor "additionalProperties":
// false) is not checked: rules on such a tool must judge what it admits.
//
// Tool servers read an argument as the type its schema declares, whatever
// was sent: zod's z.coerce reads ["9"] and "0x9" as 9 and ["/etc/passwd"]
// as "/etc/passwd", which a rule on tool.args.to == 9 or on the path does
// not match. A tools/call holding, at any depth the input schema declares
// (properties, items, allOf/anyOf/oneOf, local $refs), a value of a JSON
// type the schema does not declare for it ("type", or the types of its
// "const" or "enum"; 9.0 is an integer) is refused before the rules with
// CodeRefused as rule "mcp/argument-type". Values whose schema declares no
// type are judged by the readings below.
//
// Tool servers coerce arguments to the types their schemas declare
// (Pydantic's lax mode reads "9" and 9.0 as 9, zod's coerce every
// non-empty string as true, JavaScript's Number() "0x9" and [9] as 9),
// and resolve the paths and URLs they are given (a file server reads
// /srv/data/public/../secret as /srv/data/secret, and on Windows
// /SRV/Data/Secret. too; a URL parser HTTP://Metadata.Internal./ as
// http://metadata.internal/ and http://2852039166/ as
// http://169.254.169.254/). A tools/call or prompts/get is also judged,
// without recording, with the arguments under the names the rules read,
// at any depth, read as each such coercion reads them (see
// internal/coerce), and refused with CodeRefused as rule
// "mcp/argument-reading" when the rules hold, deny or mask one of those
// readings where they do not the arguments as sent.
//
// The recorded command of a tools/call or prompts/get shows the value of
// every argument named like a secret (mask.SecretNames, at any depth) as
// "[secret]", and those values are the request's gate.Request.Secrets, which
// the recorder keeps out of the session's later events.
//
// Metadata is masked like results: list items (descriptions, titles,
// schemas, annotations, icons, URIs, _meta) with the masks of the list's
// decision and of the item's probe decision, the initialize result's
// instructions and serverInfo with the masks the rules give the initialize
// request (tool.kind "initialize"; decided, not enforced) and a generic
// request of each kind (a list; a call, read, prompt with no name), and the
// upstream's error messages. An item whose name a mask would change is
// withheld. List cursors reach the client as opaque tokens of the gateway.
//
// Credentials the gateway holds for its upstream (Config.Secrets: its
// HTTP client's token, a password in the upstream URL, a stdio server's
// environment) never reach the client: an answer, list item or initialize
// result holding one (escaped, in base64 at any alignment, split across
// JSON values) is withheld with an error, whatever the rules mask, and the
// withholding is recorded.
//
// When the upstream fails (a stdio server exits; an HTTP server is
// unreachable or answers with an HTTP error rather than a JSON-RPC error),
// the gate session is closed with the reason, the client gets an error for
// the request in flight, and the session refuses any further request.
//
// Usage, over stdio (the agent starts this program instead of the server):
//
//	g := gate.New(gate.Config{Rules: rules, Recorder: rec, Approver: approver})
//	gw, err := mcpgate.New(mcpgate.Config{
//		Gate:          g,
//		Upstream:      mcpgate.Command(os.Stderr, nil, "customers-server", "--db", dsn),
//		Authenticator: gate.StaticIdentity(gate.Identity{Subject: "agent-7", Kind: gate.KindAgent}),
//	})
//	if err != nil { ... }
//	defer gw.Close()
//	err = gw.ServeStdio(ctx, os.Stdin, os.Stdout)
//
// or over streamable HTTP, with the identity taken from the bearer token
// (gate.Credential.Token, verified once per HTTP request; a session is bound
// to its subject):
//
//	gw, _ := mcpgate.New(mcpgate.Config{Gate: g, Upstream: mcpgate.URL(upstreamURL, nil), Authenticator: verifier})
//	http.ListenAndServe(addr, gw.Handler())
//
// Discovery filtering hides an item only when the rules deny every call to
// it whatever its arguments, so a hidden item is never callable (it is not
// advertised) and a callable item is never hidden. Each listed item is probed with the request
// a call would make with empty arguments (RuleSet.Decide: nothing recorded).
// A rule is invariant when every variable it reads (gate.RuleInfo.Reads) is
// fixed for the session and the item: the variables of session scope in
// gate.Variables (identity.*, session.id/protocol/target/client_addr), other
// protocols' attributes (always empty), request.protocol and
// tool.kind/name/uri, and for resources also tool.args and request.command,
// which the URI fixes; tool.args, request.command, request.reason,
// request.time, the session counters and grants make it variant. The item is hidden when the probe matches an enforced invariant
// deny rule, or when the default is deny and every enforced allow or review
// rule is invariant and none matched the probe. Resource templates are never
// hidden. A call to a hidden item is refused even should the gate allow it.
//
// Not relayed, so refused or not advertised: resource subscriptions,
// completion/complete, list-changed notifications, upstream-initiated
// requests (sampling, elicitation, roots) and upstream progress, log or
// resource-updated notifications (none reaches the client). Toward the client the gateway speaks the protocol versions
// with an initialize handshake (2024-11-05 to 2025-11-25); clients that also
// speak 2026-07-28 fall back to them.
//
// The one thing not to forget: lists are judged like calls, so a rule file
// with default deny needs a rule allowing `tool.kind == "list"`. And over
// HTTP, the Authenticator must check the token (gate.Tokens, an
// oidc.Verifier): gate.StaticIdentity there would admit any bearer.
package mcpgate
