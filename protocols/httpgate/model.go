package httpgate

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/airlock-sdk/airlock/gate"
)

// overrideHeaders are the method-override headers frameworks honour, in
// canonical form (the keys of http.Header), as are pathOverrideHeaders.
var overrideHeaders = []string{"X-Http-Method-Override", "X-Http-Method", "X-Method-Override"}

// pathOverrideHeaders make some servers (IIS, Symfony, some proxies) route
// by their value instead of the request line; they are always refused.
var pathOverrideHeaders = []string{"X-Original-Url", "X-Rewrite-Url", "X-Override-Url"}

// buildModel reads r (its body included, within the limit), refuses what
// cannot be modelled unambiguously, and rewrites r so that what is forwarded
// is what was modelled: the canonical path, the re-encoded query, the
// decoded body with an exact Content-Length.
func (gw *Gateway) buildModel(r *http.Request) (*gate.Request, *refusal) {
	c := &gw.cfg
	if !slices.Contains(c.Methods, r.Method) {
		return nil, refuse(http.StatusMethodNotAllowed, "method", "method %q is not accepted", r.Method)
	}
	method := r.Method

	path, ref := canonicalPath(r.URL.EscapedPath())
	if ref != nil {
		return nil, ref
	}
	if r.URL.Opaque != "" {
		return nil, refuse(400, "path", "opaque request targets are not accepted")
	}
	var query url.Values
	if r.URL.RawQuery != "" {
		var err error
		if query, err = url.ParseQuery(r.URL.RawQuery); err != nil {
			return nil, refuse(400, "query", "the query cannot be parsed unambiguously")
		}
	}
	read := gw.names.get(gw.hub.Rules())
	names, locs := read.names, read.locs
	if ref := checkParams("query", query, names, c.AllowDuplicateQuery); ref != nil {
		return nil, ref
	}
	// A protocol upgrade (WebSocket, h2c) would turn the exchange into a
	// tunnel that the gate cannot see into.
	if headerValue(r.Header, "Upgrade") != "" || r.Method == http.MethodConnect {
		return nil, refuse(400, "upgrade", "protocol upgrades are not accepted")
	}
	dropHopByHop(r.Header)

	for _, h := range pathOverrideHeaders {
		if len(r.Header[h]) > 0 { // h is canonical
			return nil, refuse(400, "path", "path override header %s is not accepted", h)
		}
	}

	// Method overrides, from headers and the query.
	var overrides []string
	for _, h := range overrideHeaders {
		overrides = append(overrides, r.Header[h]...) // h is canonical
	}
	overrides = appendOverrides(overrides, query)

	if len(r.Header["Content-Type"]) > 1 {
		return nil, refuse(400, "headers", "more than one Content-Type")
	}
	headers := make(map[string][]string, len(r.Header))
	for k, v := range r.Header {
		// Some servers read '_' as '-', and CGI servers (lighttpd, Apache
		// 2.2) every character but a letter or a digit as '_', so
		// X_Forwarded_For and X.Real.IP would reach them as headers the
		// rules never saw under that name (HTTP_X_REAL_IP).
		if strings.ContainsFunc(k, notHeaderNameRune) {
			return nil, refuse(400, "headers", "header names with characters other than letters, digits and '-' are not accepted (%.40q)", k)
		}
		if len(v) > 1 {
			// Upstreams read a repeated field differently (Go the first
			// line, PHP the last, Node and WSGI the lines joined): it is
			// joined, as RFC 9110 (5.3) makes it equal to, for the rules
			// and the upstream alike.
			v = []string{strings.Join(v, fieldSeparator(k))}
			r.Header[k] = v
		}
		headers[lowerName(k)] = v
	}

	if ref := checkCookieNames(r.Header["Cookie"], names); ref != nil {
		return nil, ref
	}

	body, ref := gw.readBody(r)
	if ref != nil {
		return nil, ref
	}
	parsed, form, ref := gw.parseBody(r, body, names, locs.readsBody())
	if ref != nil {
		return nil, ref
	}
	if ref := checkAcross(query, parsed, names, locs); ref != nil {
		return nil, ref
	}
	if form == nil {
		if ref := checkWrapped(parsed, read.wrapped); ref != nil {
			return nil, ref
		}
	}
	overrides = appendOverrides(overrides, form)
	if form == nil {
		overrides = appendJSONOverrides(overrides, parsed)
	}
	if len(overrides) > 0 {
		if c.MethodOverride != MethodOverrideHonour {
			return nil, refuse(400, "method", "method override to %.32q is not accepted", overrides[0])
		}
		m := overrides[0]
		for _, o := range overrides[1:] {
			if o != m {
				return nil, refuse(400, "method", "conflicting method overrides")
			}
		}
		if !slices.Contains(c.Methods, m) {
			return nil, refuse(http.StatusMethodNotAllowed, "method", "override method %q is not accepted", m)
		}
		method = m
	}

	// Go's ServeMux, Rails, Flask and Express run the GET handler for a
	// HEAD (and drop the body): a HEAD is judged as the GET it runs, and
	// forwarded as a HEAD.
	if method == http.MethodHead {
		if !slices.Contains(c.Methods, http.MethodGet) {
			return nil, refuse(http.StatusMethodNotAllowed, "method", "HEAD runs a GET, which is not accepted")
		}
		method = http.MethodGet
	}

	modelPath := path
	if c.LowerCasePaths {
		if r, ok := foldsToASCII(path); ok {
			return nil, refuse(400, "path", "path character %q matches an ASCII letter case-insensitively", r)
		}
		modelPath = strings.ToLower(path)
	}
	rawQuery := query.Encode()
	command := method + " " + modelPath
	if rawQuery != "" {
		command += "?" + rawQuery
	}

	// Forward exactly what was modelled.
	r.URL.Path = path
	r.URL.RawPath = ""
	r.URL.RawQuery = rawQuery
	r.RequestURI = r.URL.RequestURI()
	r.ContentLength = int64(len(body))
	r.TransferEncoding = nil
	r.Trailer = nil
	if len(body) == 0 {
		r.Body, r.GetBody = http.NoBody, nil
		if headerValue(r.Header, "Content-Length") != "" {
			r.Header["Content-Length"] = []string{"0"}
		}
	} else {
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		r.Header["Content-Length"] = []string{strconv.Itoa(len(body))}
	}
	if headerValue(r.Header, "Content-Encoding") != "" {
		delete(r.Header, "Content-Encoding")
	}

	secrets := gw.secrets(r, query, form)

	req := &gate.Request{
		Protocol: gate.ProtocolHTTP,
		Command:  command,
		Payload:  gw.payload(body),
		Secrets:  secrets,
		HTTP: &gate.HTTP{
			Method:  method,
			Path:    modelPath,
			Host:    strings.ToLower(r.Host),
			Query:   map[string][]string(query),
			Headers: headers,
			Body:    parsed,
		},
	}
	return req, nil
}

// notHeaderNameRune reports the characters of a header name other than
// letters, digits and '-'.
func notHeaderNameRune(r rune) bool {
	return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-')
}

// fieldSeparator is what the lines of the repeated request field k are
// joined with: "; " for Cookie (RFC 9113, 8.2.3), ", " for any other.
func fieldSeparator(k string) string {
	if k == "Cookie" {
		return "; "
	}
	return ", "
}

// appendOverrides adds the values of _method parameters, whatever their
// case and however a framework spells them (see paramBase: .method,
// " _method", _method[]).
func appendOverrides(overrides []string, params url.Values) []string {
	for k, v := range params {
		if isMethodParam(k) {
			overrides = append(overrides, v...)
		}
	}
	return overrides
}

// appendJSONOverrides adds the values of the _method keys of a JSON
// object body: Laravel reads a JSON body's keys as its request parameters,
// _method included. A value that is not a string is an override too (to
// its JSON text), which no method list holds.
func appendJSONOverrides(overrides []string, body any) []string {
	m, ok := body.(map[string]any)
	if !ok {
		return overrides
	}
	for k, v := range m {
		if !isMethodParam(k) {
			continue
		}
		s, ok := v.(string)
		if !ok {
			b, _ := json.Marshal(v)
			s = string(b)
		}
		overrides = append(overrides, s)
	}
	return overrides
}

// secrets lists the values of secret headers and secret query or form
// parameters, for the recorder to HMAC.
func (gw *Gateway) secrets(r *http.Request, params ...url.Values) []string {
	var out []string
	for _, k := range gw.secretHeaders {
		for _, v := range r.Header[k] {
			out = appendSecret(out, v)
		}
	}
	for _, ps := range params {
		for k, vs := range ps {
			if !gw.secretQuery.Match(k) {
				continue
			}
			for _, v := range vs {
				if v != "" {
					out = append(out, v)
				}
			}
		}
	}
	return out
}

// appendSecret adds a secret header value and, for "Scheme token" values
// and cookies, the parts that could be recorded on their own.
func appendSecret(secrets []string, v string) []string {
	v = strings.TrimSpace(v)
	if v == "" {
		return secrets
	}
	if secrets == nil {
		secrets = make([]string, 0, 4) // "Scheme token" gives two
	}
	secrets = append(secrets, v)
	if _, tok, ok := strings.Cut(v, " "); ok && strings.TrimSpace(tok) != "" {
		secrets = append(secrets, strings.TrimSpace(tok))
	}
	for part := range strings.SplitSeq(v, ";") {
		if _, val, ok := strings.Cut(part, "="); ok && len(strings.TrimSpace(val)) >= 4 {
			secrets = append(secrets, strings.TrimSpace(val))
		}
	}
	return secrets
}

// payload is what the review digest binds and the record keeps: the body
// itself, or for a body above RecordLimit its SHA-256 and length (the
// digest still binds the exact body).
func (gw *Gateway) payload(body []byte) []byte {
	if lim := gw.cfg.RecordLimit; lim < 0 || int64(len(body)) <= lim {
		return body
	}
	sum := sha256.Sum256(body)
	return fmt.Appendf(nil, "sha256:%s length:%d", hex.EncodeToString(sum[:]), len(body))
}

// readBody reads and decodes the request body within MaxBodyBytes.
func (gw *Gateway) readBody(r *http.Request) ([]byte, *refusal) {
	limit := gw.cfg.MaxBodyBytes
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > limit {
		return nil, refuse(http.StatusRequestEntityTooLarge, "body", "the body is above the limit of %d bytes", limit)
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	_ = r.Body.Close()
	if err != nil {
		return nil, refuse(400, "body", "the body could not be read")
	}
	if int64(len(raw)) > limit {
		return nil, refuse(http.StatusRequestEntityTooLarge, "body", "the body is above the limit of %d bytes", limit)
	}
	encs := r.Header["Content-Encoding"]
	if len(encs) > 1 {
		return nil, refuse(http.StatusUnsupportedMediaType, "body", "more than one Content-Encoding")
	}
	enc := ""
	if len(encs) == 1 {
		enc = strings.ToLower(strings.TrimSpace(encs[0]))
	}
	var dec io.Reader
	switch enc {
	case "", "identity":
		return raw, nil
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, refuse(400, "body", "the gzip body cannot be decoded")
		}
		zr.Multistream(false)
		dec = zr
	case "deflate":
		zr, err := zlib.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, refuse(400, "body", "the deflate body cannot be decoded")
		}
		dec = zr
	default:
		return nil, refuse(http.StatusUnsupportedMediaType, "body", "Content-Encoding %q is not accepted", enc)
	}
	out, err := io.ReadAll(io.LimitReader(dec, limit+1))
	if err != nil {
		return nil, refuse(400, "body", "the %s body cannot be decoded", enc)
	}
	if int64(len(out)) > limit {
		return nil, refuse(http.StatusRequestEntityTooLarge, "body", "the decoded body is above the limit of %d bytes", limit)
	}
	return out, nil
}

// parseBody parses JSON and form bodies into the model. It returns the
// form values too, for the _method override. When the rules read names in
// the body (bodyRead), a body of a bindable type is refused.
func (gw *Gateway) parseBody(r *http.Request, body []byte, names readNames, bodyRead bool) (any, url.Values, *refusal) {
	const check = "body"
	ct := headerValue(r.Header, "Content-Type")
	mt := ""
	if ct != "" {
		var params map[string]string
		var err error
		mt, params, err = mime.ParseMediaType(ct)
		if err != nil {
			return nil, nil, refuse(http.StatusUnsupportedMediaType, check, "the Content-Type cannot be parsed")
		}
		if strings.Contains(strings.ToLower(ct), "charset*") {
			// mime drops an RFC 2231 charset it cannot decode (charset*=utf-16''):
			// the gateway would read UTF-8 where an upstream may not.
			return nil, nil, refuse(http.StatusUnsupportedMediaType, check, "an extended charset parameter is not accepted")
		}
		if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "us-ascii") {
			return nil, nil, refuse(http.StatusUnsupportedMediaType, check, "charset %q is not accepted", cs)
		}
	}
	isJSON := mt == "application/json" || mt == "text/json" || mt == "application/x-json" || mt == "text/x-json" ||
		strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(trimmed) == 0 {
		return nil, nil, nil
	}
	switch {
	case mt == "":
		// Rack reads a POST body without a type as a form, others sniff
		// JSON: an untyped body is what each upstream makes of it.
		return nil, nil, refuse(http.StatusUnsupportedMediaType, check, "a body without a Content-Type is not accepted")
	case isJSON:
		v, err := ParseJSON(body)
		if err != nil {
			return nil, nil, refuse(400, check, "the JSON body is refused: %v", err)
		}
		if ref := checkJSONKeys(v, names); ref != nil {
			return nil, nil, ref
		}
		return v, nil, nil
	case mt == "application/x-www-form-urlencoded":
		form, ref := parseForm(body)
		if ref != nil {
			return nil, nil, ref
		}
		if ref := checkParams("form", form, names, gw.cfg.AllowDuplicateQuery); ref != nil {
			return nil, nil, ref
		}
		m := make(map[string]any, len(form))
		for k, v := range form {
			l := make([]any, len(v))
			for i, s := range v {
				l[i] = s
			}
			m[k] = l
		}
		return m, form, nil
	case strings.HasPrefix(mt, "multipart/"):
		return nil, nil, refuse(http.StatusUnsupportedMediaType, check, "multipart bodies are not accepted")
	case bodyRead && bindable(mt):
		return nil, nil, refuse(http.StatusUnsupportedMediaType, check, "the rules read the body, which they cannot read in %s", mt)
	case looksLikeJSON(body):
		// Many frameworks parse JSON whatever the Content-Type says; a JSON
		// body under another type would pass the rules uninspected.
		return nil, nil, refuse(http.StatusUnsupportedMediaType, check, "the body is JSON but the Content-Type is %q", mt)
	}
	return nil, nil, nil
}

// foldsToASCII finds a non-ASCII character of path that a case-insensitive
// upstream may take for an ASCII letter: the Kelvin sign is k, the long s
// is S in upper case, the dotless ı is I (.NET's OrdinalIgnoreCase
// compares upper cases). strings.ToLower leaves them, so a rule on the
// folded path would not see /admın as /admin.
func foldsToASCII(path string) (rune, bool) {
	for _, r := range path {
		if r < utf8.RuneSelf {
			continue
		}
		if unicode.ToUpper(r) < utf8.RuneSelf || unicode.ToLower(r) < utf8.RuneSelf {
			return r, true
		}
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < utf8.RuneSelf {
				return r, true
			}
		}
	}
	return 0, false
}
