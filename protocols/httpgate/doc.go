// Package httpgate puts the Airlock gate in front of HTTP APIs. Its name
// does not shadow net/http in the files that import both.
//
// A Gateway (New(Config), Close) depends on the gate through gate.Hub and
// offers:
//
//   - a reverse proxy, Gateway.Handler (to Config.Proxy) or Gateway.Proxy
//     (to any upstream), for gating an upstream the team does not own; it
//     holds the upstream credential and strips the client's, and
//   - a middleware, Gateway.Middleware (a func(http.Handler) http.Handler),
//     for services that embed the gate.
//
// Clients are identified by Config.Authenticator (a gate.Authenticator,
// such as gate.Tokens or an oidc.Verifier), given a gate.Credential with
// the bearer token of the request's one Authorization header (parsed by
// gate.BearerToken) and the client's address. A client it refuses gets 401,
// and the refusal is recorded (Hub.RecordRefusal).
//
// Every request is turned into a gate.Request with a canonical model
// (gate.HTTP): the method (a HEAD as "GET", in http.method and
// request.command: most servers run the GET handler for it; it is still
// forwarded as a HEAD), the normalised path (percent-decoded once,
// dot-segments resolved, duplicate slashes collapsed, lower-cased when
// configured), the query, the headers with lower-case names (a field sent
// on several lines joined into one, with ", " or for Cookie "; ", and
// forwarded so: upstreams read the first line, the last or all) and the JSON
// or form body. What is forwarded is exactly what was modelled: the handler
// or the upstream sees the canonical path, the re-encoded query and the
// decoded body, and the headers are judged as the upstream receives them:
// the hop-by-hop ones (Connection, Keep-Alive, TE but "trailers", ...) and
// every header the client lists in Connection are removed before the model
// is built, and the reverse proxy and the middleware remove the client's
// forwarding headers before that too, which an upstream (or a handler
// behind trusted proxies) takes for its proxy's word:
// Forwarded, every X-Forwarded-* (-Prefix, -Port, -Ssl included) and the
// client-address ones (X-Real-IP, True-Client-IP, CF-Connecting-IP,
// X-Envoy-External-Address, Fly-Client-IP, X-Azure-ClientIP, ...;
// it sets X-Forwarded-For, -Host and -Proto of its own). Requests that cannot be modelled without ambiguity are refused
// before the rules run (400, 405, 413 or 415 with an RFC 9457 problem
// document): encoded slashes, backslashes, ';' path parameters,
// double-encoding, dot-segments above the root, non-standard or lower-case
// methods, method-override headers and method-override parameters
// (_method, Salesforce's _HttpMethod, the override headers' names) in the
// query, a form or a JSON object body, however PHP or Rails spell them
// (".method", " _method", "_method[]"; unless honoured, see
// MethodOverrideHonour), duplicate query or form parameters (also by
// case), header names with '_' or any character other than a letter, a
// digit and '-' (CGI servers read X.Real.IP as HTTP_X_REAL_IP),
// path-override headers (X-Original-URL,
// X-Rewrite-URL), protocol upgrades (WebSocket, h2c), duplicate JSON
// keys (also ones equal under Unicode case folding, as encoding/json
// matches them: "status" and "ſtatus"), JSON numbers whose value is not
// their double's (1000.0000000000000000001, 1e-400: the rules read the
// double, a decimal parser such as Jackson's BigDecimal the number as
// sent; a double's shortest form, 0.30000000000000004, passes), JSON
// integers beyond 2^53 as the value of a name the rules read (JavaScript
// reads 9007199254740992 and 9007199254740993 as one number), JSON
// "__proto__" keys and "constructor" objects with a "prototype"
// (JavaScript code that copies or merges the body reads them as
// prototypes), more than 1000 query or form parameters (PHP and
// Express's qs read the first 1000), invalid UTF-8, oversized
// bodies, compressed bodies that decode above the limit or use a coding
// other than gzip and deflate, JSON sent under another Content-Type (after
// comments, which JSON5 and Jackson with ALLOW_COMMENTS skip, also
// in UTF-16), a body without a Content-Type, a form body that is not
// strictly form-encoded (no '{', '}', '"', '<', '>', '\' or control
// characters unescaped, no empty names), charsets other than UTF-8,
// multipart bodies, and, when the rules read names in the body, bodies in
// a format that frameworks bind like JSON but the rules cannot read (XML,
// YAML, CBOR, MessagePack, Smile, protobuf, BSON; +xml, +yaml, +cbor). The record of a refused request keeps its target with
// the values of secret parameters (query, and ';' path parameters)
// redacted.
//
// Query and form names are also judged by every name a framework files
// them under, at the top or nested: a bracketed suffix is dropped
// (amount[] and amount[0] are amount), PHP turns '.', ' ' and an unmatched
// '[' into '_' (user.id is user_id), Rack 2 drops leading brackets and
// reads "user]role" as user[role] (]amount is amount), Express's qs reads
// [amount] as amount, Spring and ASP.NET Core nest at '.' (user.role),
// ASP.NET Core binds req.amount as the amount of the action parameter
// req, and Spring binds !amount as amount when amount is not sent (and
// _amount is its field marker). A name any key of which (user, role; a
// leading '!' or '_' dropped) is a name the rules read, without the name
// being spelled as the rules read it, is refused with 400 (the rules
// cannot read nested form names), and so are a plain and a nested name of
// one base (amount=1&amount[]=5000). Nested names no rule reads
// (page[size]) pass. So do JSON keys: a key that holds a name the rules
// read as a piece of a path ("user.role", which Laravel's input() and
// lodash's get() read as user.role) is refused. Rails wraps a JSON body's
// keys under the resource's name when the body does not send it
// ({"role":"admin"} is also user[role] to a UsersController): a JSON
// object body that sends at its top a name the rules read only below
// another (http.body.user.role), without that other, is refused. PHP's
// $_REQUEST (without a request_order) and classic ASP.NET's Request[]
// read cookies as parameters too: a cookie whose name (percent-decoded,
// under the readings above) is a name the rules read in the query or the
// body is refused. Typed binders read values otherwise than the string
// the rules compare: Spring binds a value to a list split at its commas,
// each element trimmed (?id=2,1 is ids 2 and 1, ?id=%201 is 1), integer
// binders drop leading zeros and a '+' (01, +1), Rails' and PHP's integer
// casts read the leading digits (1abc), Python's int() drops underscores
// (0_1), and Jackson coerces JSON scalars to the field's type ({"id":1}
// is "1" to a String field, {"order":"01"} is 1 to a long), and
// JavaScript reads what it is asked for (Number("0x9") and Number([9]) are
// 9, String(["admin"]) is "admin", Boolean({}) is true), and file servers
// and URL parsers resolve paths and URLs (/srv/data/public/../secret is
// /srv/data/secret, HTTP://Metadata.Internal./ is http://metadata.internal/). A query or
// form value of a parameter the rules read is also judged as each of its
// elements and their integers; a parameter sent several times (with
// AllowDuplicateQuery) as each value alone (Go takes the first, PHP and
// Rack the last) and all joined with commas (Spring, ASP.NET); the
// parameters the rules read under every combination of those readings
// (at most 256); every JSON scalar under a name the rules read, at any
// depth and in arrays, as each type binders coerce it to (Jackson, Rails'
// to_i and ActiveModel booleans, Laravel's intval, Pydantic's lax mode,
// JavaScript's Boolean() and Number(): "09" and 9.5 are 9, "yes" and
// "false" may be true, "0x9" is 9 and "Infinity" above any bound; see
// internal/coerce), with every array of one element read as the element
// and every object or array compared with a boolean read as true, per path (items[*].account) and, for the
// names the rules compare with constants, all at once as the types
// compared; and a JSON object body with the members of an object it
// sends lifted to its top and with its members wrapped under a name the
// rules read them below (Rails' ParamsWrapper and controllers reading
// params[:user]). Each reading is judged without recording, and the
// request refused with 400 when one of them is held, denied or masked
// where the request as sent is not (and when a value holds more than 32
// elements). So is the value of a header the rules read
// (http.headers["x-tenant-id"]), which Spring's @RequestHeader and
// ASP.NET's [FromHeader] bind as they bind parameters (X-Tenant-Id: 09 is
// 9). Rails, Laravel, Flask and PHP's $_REQUEST
// merge the query and the body (a form, or a JSON object's top level) and
// disagree on which wins, so a name the rules read is refused with 400
// when it is sent in both, or where no rule reading it looks: in the
// query when the rules read it in http.body only (?amount=5000 beside a
// body without amount), in the body when they read it in http.query only.
//
// Names and case. JSON keys, query and form names are seen as sent, but a
// name that folds like one the rules read (http.body.amount,
// "kind" in http.query) without being spelled like it ("Amount", "AMOUNT",
// "ſtatus") is refused with 400: Go's encoding/json and ASP.NET would
// read it as the rules' name, a case-sensitive upstream would not, so
// either reading could bypass a rule. Names no rule reads pass in any
// case (camelCase APIs work as before).
//
// Paths and case. Set LowerCasePaths for upstreams that route paths
// case-insensitively (most on Windows, many frameworks): the rules then see
// http.path lower-cased while the upstream gets the path as sent. A rule
// written as !http.path.startsWith("/admin") is unsound without it —
// GET /ADMIN/users passes the rule and reaches the admin API. Where paths
// are not folded, write path rules on http.path.lowerAscii():
//
//	when: http.path.lowerAscii().startsWith("/admin")
//
// With LowerCasePaths, a path holding a non-ASCII character that matches an
// ASCII letter case-insensitively (the dotless ı, the long ſ, the Kelvin
// sign) is refused with 400: strings.ToLower keeps it, an upstream's
// case-insensitive match does not. `airlock serve` folds by default
// (http.lower_case_paths).
//
// Paths and routes. Routers run one route under several spellings:
// /api/payments/ (Express, Rails, ASP.NET Core, Spring before 6),
// /api/payments.json (Rails, Spring's suffix patterns), /api/payments.
// and /api/payments%20 (IIS), and, without LowerCasePaths, /api/PAYMENTS
// (Express by default, ASP.NET, IIS). When the rules read the path (http.path,
// request.command), a request is also judged, without recording, under
// each such reading of its path, and refused with 400 when one of them
// is held, denied or masked by a rule where the path as sent is not: a
// rule on http.path == "/api/payments" holds all its spellings. So is
// the host, when the rules read http.host, without its port (Go's
// ServeMux routes admin.example.com:8080 as admin.example.com) and
// without a trailing dot (nginx, Apache).
//
// A denied request gets 403 application/problem+json naming the rule and the
// reason. A request held for review blocks in the gate's Hold mode; in
// RefuseThenRetry mode it gets 409 Conflict with the approval id (in the
// problem document and the Airlock-Approval-Id header) and a Retry-After.
//
// Responses are masked by the decision's masker (gate.Decision.Masker),
// judged by what the client will decode, not by the bytes as sent:
//
//   - Bodies: JSON bodies through the JSON masker (structure kept, numbers
//     included, \u escapes decoded, Content-Length fixed; recorded before
//     they are sent, so a response that cannot be recorded is not sent),
//     server-sent events one whole event at a time as they complete, and
//     any other body through the stream masker, which holds back a few KiB
//     that could still start a match. The detectors also read the
//     percent-, entity- and backslash-decoded forms of the text (form
//     bodies, URLs in HTML, &#64;, &commat;, &amp;#64;, %2540, \u0040) and
//     mask the encoded bytes (see the mask package), and its text without
//     tags and comments, as rendered (ann@<b>example</b>.com,
//     ann@<!-- -->example.com), under every reading a client may use: a
//     naive stripper's, the HTML tokenizer's (<!-->, --!>, '>' in quoted
//     attributes), foreign content's and XML's (CDATA sections are text).
//     Comments are also text like any other. Base64 (data: URIs
//     included) is not decoded.
//   - JSON streams: NDJSON, JSON Lines, JSON text sequences and
//     application/stream+json are masked a line at a time, and a value
//     split across lines is caught per string field as in event streams
//     below; so is one split across the elements of an application/json
//     array that the proxy's upstream streams without a Content-Length
//     (an array of deltas),
//     and across the lines of an application/json body that is not one
//     JSON text.
//   - The proxy's own secrets: its Credential (the value, the token
//     without its scheme, a Basic pair and password) and the Upstream
//     URL's password are masked as [GATEWAY_SECRET] in every response,
//     masked or not by the rules, in any view the detectors read and in
//     base64 at any alignment: an upstream that echoes requests (httpbin)
//     never hands them to the client. So every response through a proxy
//     with a Credential is masked, with what that implies below — except
//     that, when no rule masks it, a body of at most 64 KiB with a
//     Content-Length and no content coding is first read whole and
//     searched for those secrets alone, in every reading above: without
//     any it is sent as the upstream sent it (length, ETag and the like
//     kept, charset=utf-8 declared on a textual type), and with one it is
//     masked as any other. Nothing of it is sent before the search ends.
//   - Charsets: a textual body (text/*, JSON, XML, JavaScript, forms, event
//     streams, CSV, YAML; without a Content-Type, one that
//     http.DetectContentType calls text) is decoded the way a browser
//     decodes it — a
//     byte order mark first (UTF-8, UTF-16, UTF-32), then the Content-Type
//     charset (every WHATWG label, and UTF-32), then an HTML <meta> or XML
//     encoding declaration in the first KiB, then the NUL pattern of UTF-16
//     and UTF-32 JSON — masked as UTF-8 and served as UTF-8 with
//     charset=utf-8 declared, so the client decodes exactly what the
//     masker read. A body of any other type that starts with a byte order
//     mark (a UTF-16 CSV served as application/vnd.ms-excel) is text too,
//     and so is one whose first 8 bytes read as ASCII text in UTF-16 or
//     UTF-32 without a mark (a client's sniffer reads it so); other
//     bodies are masked as bytes. A charset without a decoder
//     (utf-7, unknown labels), an unparseable Content-Type and a NUL byte
//     in a textual body fail closed.
//   - Event streams: an event is masked as bytes and its data as the
//     client assembles it (data fields joined with "\n"; LF, CR and CRLF
//     line ends; a leading BOM dropped); a value split across events is
//     caught in the joined data, and for JSON data in each string field
//     followed across events (a token stream's {"delta":"ann@"} then
//     {"delta":"example.com"}): the completing event's data or field goes
//     as [REDACTED].
//   - Codings: gzip and deflate (zlib or raw), stacked up to four deep
//     (gzip, deflate), are decoded, masked and re-encoded for clients that
//     accept a single coding, and served decoded to the others. The proxy
//     offers upstreams only gzip or identity (Accept-Encoding is
//     rewritten; there is no brotli decoder in the module) and answers 502
//     to a masked response in any other coding. Transfer codings other
//     than chunked are refused by net/http.
//   - Header fields: the final response's, every 1xx response's (103 Early
//     Hints with Link headers) and the trailers go through the field rules
//     and the detectors, parameters of Content-Type included; a field
//     whose name holds a match is dropped. 1xx responses and trailers are
//     masked, not dropped, so clients that use them keep working; trailers
//     of a JSON body (sent with a Content-Length) are dropped.
//   - Whole representations: under a mask the gateway strips Range,
//     If-Range, If-Match and If-None-Match (ranges fetched one by one
//     would each hold part of a value; a 304 or 412 would confirm a guess
//     of the unmasked body) and fails closed on 206 and on multipart/* and
//     message/* bodies, whose parts carry their own charsets and transfer
//     encodings (base64, quoted-printable). HEAD, 204 and 304 responses
//     have their headers masked.
//   - Packed bodies: under a rule's mask, a body that holds its values in
//     a form the masker cannot read but the client unpacks is refused
//     (502): compressed (gzip, zlib, bzip2, xz, zstd, lz4, ...), archives
//     and documents built on them (zip, jar, docx, xlsx, OpenDocument,
//     PDF, OLE2 Office files), and binary serializations that write
//     numbers in binary (MessagePack, CBOR, BSON, protobuf and gRPC, Avro,
//     Parquet, Arrow, SQLite, pickle): by the declared type, and whatever
//     the type, by the magic bytes the decoded body starts with (raw
//     deflate, which has none, by inflating its first bytes); and a
//     body whose text holds such data as base64 or hex (a JSON field
//     holding an exported xlsx file, a data: URI of a gzip file, raw
//     deflate) is cut where it starts, or refused (502) when it is JSON.
//     So is packed data past a body's start (a tar holding a gzip file,
//     a JSON line then a gzip stream, a PNG's compressed text) and packed
//     data as characters up to U+00FF (a Latin-1 body, "\u001f\u008b"
//     in a JSON string), raw deflate and zlib of any window at any
//     offset, and a PDF after text. Under a rule's mask a body that is
//     neither text nor an image by its bytes is refused: a MessagePack or
//     protobuf body served as application/octet-stream has no signature.
//     An image is read whole (up to MaxResponseBytes) and must be a whole
//     PNG, GIF or JPEG, metadata of known kinds and nothing after its
//     end; other media (audio, video, fonts, BMP, WebP, icons) is
//     refused. A text body holding a control byte other than tab, line
//     breaks, form feed and escape (a protobuf's tags and lengths) is
//     cut. Where only the proxy's own secrets are masked, a
//     body of a declared length up to 1 MiB (or a streamed one of a
//     packed type) is searched with what it unpacks to (gzip, zlib, raw
//     deflate at any offset, zip, bzip2, a PDF's streams through their
//     filters, their base64 or hex, at any depth) and passes as sent
//     when none is there; packed bodies that cannot be searched so
//     (larger, streamed, xz, zstd, encrypted PDFs, ...) are refused.
//   - Fields derived from the body: ETag, Content-MD5, Digest,
//     Content-Digest, Repr-Digest, Content-Range and vendor checksums
//     (X-Amz-Checksum-*, X-Goog-Hash, ...) describe the unmasked body, an
//     oracle for what was masked: they are dropped from a masked response
//     (kept on a JSON body that masking left as it was), Accept-Ranges
//     says none, and a HEAD response loses its Content-Length.
//
// A masking failure before the headers are sent gives 502; after, the
// response is cut.
//
// Recording: the gate records each decision with its gate.Request, whose
// Secrets list the values of secret request headers (DefaultSecretHeaders)
// so that the recorder stores them as HMACs; the body is recorded up to
// Config.RecordLimit (beyond, its SHA-256 and length). A request refused
// before the rules ran (the 400, 405, 413 and 415 above) goes through
// gate.Conn.Refuse: a deny decision of the check "http/<check>" (the rule
// the problem document names), counted in session.denied like any other.
//
// Every byte of a response leaves through the session's gate.OutputWriter
// for the request's decision, which records, as the client received it,
// the 1xx responses, the status line and headers (Set-Cookie values
// redacted), the masked body and the trailers, in the stream "response",
// bounded by Config.RecordLimit (gate.Output.Truncated marks the cut). The
// failure policy is the gate's: a JSON body is recorded before any of it is
// sent (the client gets 502 when it cannot be); other bodies are forwarded
// and recorded when they end, and the response is cut before its end when
// that record fails; an event stream is recorded event by event before each
// event is sent (gate.RecordThenForward), so a stream stops at the first
// event that cannot be recorded. A recording failure ends the session
// (gate.Conn breaks): nothing more is forwarded under it.
//
// Sessions: one gate.Conn per client identity and run, shared by their
// concurrent requests (so session.requests counts across them), and closed
// after IdleTimeout without requests (or one per request when IdleTimeout
// is negative). A session that ended under a recording failure is dropped
// at once; the identity's next request opens a new session (503 while the
// recorder cannot record its start). The agent's harness names the run in
// the Airlock-Run header (RunHeader, gate.Session.Run), which the upstream
// never sees; one that is not a run id gets 400. The handler behind the
// middleware finds the session with gate.SessionFrom and its handle with
// gate.ConnFrom.
//
// Usage:
//
//	gw, err := httpgate.New(httpgate.Config{
//		Gate:          g, // a *gate.Gate with rules, approver and recorder
//		Target:        "billing-api",
//		Authenticator: gate.Tokens(map[string]gate.Identity{token: {Subject: "agent-1"}}),
//		Proxy: &httpgate.ProxyConfig{
//			Upstream:   upstreamURL,
//			Credential: httpgate.BearerCredential(os.Getenv("BILLING_TOKEN")),
//		},
//	})
//	if err != nil { ... }
//	defer gw.Close()
//	http.ListenAndServe(":8080", gw.Handler()) // or gw.Middleware(yourHandler)
//
// Do not forget Close: it ends the janitor goroutine and records the end of
// every open session.
package httpgate
