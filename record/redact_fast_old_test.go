package record

// This file keeps the HTTP decision's redaction path as it was before the
// changes of its fast paths (one slab of strings per event in place of
// several small slices, one has-check of a session's secrets per event,
// a MAC search that does not start over, eight hex digits tested at
// once): the oracle of TestFastBodyMatchesOld.

import (
	"bytes"
	"net/url"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
)

// body returns the stored JSON of e. It fails rather than store a secret raw.
func (r *redactor) bodyOld(e gate.Event) ([]byte, error) {
	var secrets, originals []string
	orig := e // e's request is replaced by a copy where secretValues rewrites it
	if e.Request != nil && mayHoldSecrets(e.Request) {
		req := *e.Request
		var named []string
		named, originals, _ = r.secretValuesOld(&req, r.sessions.get(e.SessionID))
		if len(req.Secrets) == 0 {
			secrets = cleanSecrets(named) // named is this call's own: no copy
		} else {
			secrets = cleanSecrets(append(append(secrets, req.Secrets...), named...))
		}
		e.Request = &req
	}
	// What the session's last event of the kind left (see scanMemo):
	// its identity's JSON and its clean pieces.
	memo := r.memos.get(e.SessionID, e.Kind)
	// One defer, which the compiler open-codes (three, with this
	// function's returns, made runtime calls: deferprocStack and
	// deferreturn, each event).
	defer r.bodyDone(e.SessionID, memo, endsSession(&e))
	var gaps textGaps
	b, byteSpans, err := appendEventMemo(r.bufs.get(sizeHint(&e)), &e, &gaps, memo)
	if err != nil {
		return nil, err
	}
	// Credentials written into free text (a command line, a URL, a body
	// string, an output) are secrets as much as the named ones. They are
	// searched for in the event as it came, not in its rewritten form: a
	// named secret replaced first can cut the start of a free-text shape (a
	// PEM header) and leave its body unrecognised.
	found, err := r.freeTextAsItCameBefore(&orig, &e, b, &gaps, originals, memo)
	if err != nil {
		return nil, err
	}
	if found = newSecrets(found, secrets); len(found) > 0 {
		secrets = cleanSecrets(append(secrets, found...))
	}
	rep, err := r.eventReplacerOld(e.SessionID, secrets)
	if err != nil || rep == nil {
		return b, err
	}
	var spans [][2]int // byteSpans.list(), without its copy
	if byteSpans.n > 0 {
		spans = byteSpans.s[:byteSpans.n]
	}
	if len(secrets) == 0 && e.Request == nil && e.Output != nil && cleanBytes(e.Output.Data, rep) {
		// An output without secrets of its own whose data holds no form
		// of a remembered secret and no MAC: replaceBytes would change
		// nothing, and survives find nothing in the data; one search of
		// the data answers both.
		if !survivesOutsideOld(b, spans, rep) {
			return b, nil
		}
	} else {
		// The byte fields are stored in base64, which the string
		// redaction cannot see into: their secrets are replaced first.
		if r.replaceBytes(&e, rep) {
			if b, spans, err = marshalEventSpans(&e); err != nil {
				return nil, err
			}
		}
		// An event without secrets of its own is stored as it is unless
		// a remembered secret of its session shows in it.
		if len(secrets) == 0 && !survivesOld(&e, b, spans, rep) {
			return b, nil
		}
	}
	// Every string value of the document is redacted: secrets also hide in
	// SQL texts, argv, tool arguments and decoded bodies.
	out, spans, err := redactStrings(b, rep, spans)
	if err != nil {
		return nil, err
	}
	if survivesOld(&e, out, spans, rep) {
		return nil, errSecretSurvived
	}
	return out, nil
}

// freeTextAsItCame returns what freeTextSecrets finds in orig, an event
// as it came, given e, its form with secretValues' rewrites (b its JSON,
// gaps b's), and originals, the values secretValues replaced whole. When
// only such values changed (headers, parameters, body fields, tool
// arguments, an env value), orig is not marshalled again: each of them is
// a JSON string of its own in orig's JSON, and no shape the search knows
// but a PEM block crosses a string's quotes, so b is searched (a whole MAC
// holds no shape; orig supplies the byte fields, which b leaves to its
// gaps), then each original as the JSON string it is in orig's JSON. orig
// is marshalled again and searched whole when a PEM block may start in it
// (its body runs on to an END line, across strings) and when the command
// line was rewritten in part (named query parameters: around a MAC put in
// a string, the search could find what orig does not hold).
//
// memo is the scan memory of orig's session and kind (nil: none).
func (r *redactor) freeTextAsItCameBefore(orig, e *gate.Event, b []byte, gaps *textGaps, originals []string, memo *scanMemo) ([]string, error) {
	// An event whose request was not rewritten (e.Request is orig's) is
	// orig: b is orig's JSON, searched as it is.
	if e.Request == orig.Request {
		return r.freeTextPieces(orig, b, gaps.list(), memo), nil
	}
	sp := scratchPool.Get().(*[]byte)
	defer scratchPool.Put(sp)
	if orig.Request != nil && e.Request.Command != orig.Request.Command || mayStartPEM(b, originals) {
		ob, _, err := appendEventMemo((*sp)[:0], orig, gaps, nil)
		if err != nil {
			return nil, err
		}
		*sp = ob // found secrets are copies: the buffer is free once they are
		return r.freeTextPieces(orig, ob, gaps.list(), memo), nil
	}
	found := r.freeTextPieces(orig, b, gaps.list(), memo)
	json := freeText{names: r.names, filter: r.nameFilter, json: true}
	q := *sp
	for i, v := range originals {
		var ok bool
		if found, ok = memo.recallOriginal(found, i, v); ok {
			continue
		}
		n := len(found)
		q = appendString(q[:0], v)
		found = json.scan(found, q)
		memo.noteOriginal(i, v, found[n:])
	}
	*sp = q
	return found, nil
}

// eventReplacer returns the replacer of an event of session with secrets
// of its own: those, and the ones remembered from the session's earlier
// requests. The event's own are remembered for the later events (with
// their other forms, which the event itself is not searched for). Nil:
// nothing to replace.
func (r *redactor) eventReplacerOld(session string, secrets []string) (*secretReplacer, error) {
	prev := r.sessions.get(session)
	if len(secrets) == 0 {
		return prev, nil
	}
	if _, err := r.sessions.remember(r, session, secrets); err != nil {
		return nil, err
	}
	return r.merge(prev, secrets), nil
}

// survives reports whether a secret of rep is left in e's stored JSON b,
// raw or JSON-escaped, anywhere but inside a MAC, or raw in e's byte fields
// (fail closed: the event is not stored). A very short secret, found in
// field names, makes the event unrecordable, and so its request is refused.
//
// The byte fields are searched as they are, not in their base64 in b (at
// spans, see byteFieldSpans): a secret in them is found there whatever its
// alignment, and a form of a secret met by chance in their base64 (one of
// its base64 forms, for instance) is not a survivor.
func survivesOld(e *gate.Event, b []byte, spans [][2]int, rep *secretReplacer) bool {
	if rep.m == nil {
		return false
	}
	if e.Request != nil && secretSurvivesOld(e.Request.Payload, rep) || e.Output != nil && secretSurvivesOld(e.Output.Data, rep) {
		return true
	}
	return survivesOutsideOld(b, spans, rep)
}

// survivesOutside is survives for b but its spans (the base64 of the byte
// fields), which it does not read.
func survivesOutsideOld(b []byte, spans [][2]int, rep *secretReplacer) bool {
	if rep.m == nil {
		return false
	}
	from := 0
	for _, s := range spans {
		if s[0] < from {
			continue
		}
		if secretSurvivesOld(b[from:s[0]], rep) {
			return true
		}
		from = s[1]
	}
	return secretSurvivesOld(b[from:], rep)
}

// secretSurvives reports whether a secret, raw or JSON-escaped, is found in
// b once every MAC is cut out of it.
func secretSurvivesOld(b []byte, rep *secretReplacer) bool {
	if len(b) == 0 {
		return false
	}
	if !bytes.Contains(b, []byte(SecretPrefix)) {
		at, _ := findBytes(rep.m, b, 0, false)
		return at >= 0
	}
	sp := stripPool.Get().(*[]byte)
	rest := stripMACsOld((*sp)[:0], b)
	at, _ := findBytes(rep.m, rest, 0, false)
	*sp = rest
	stripPool.Put(sp)
	return at >= 0
}

// stripMACs appends b to dst without its MAC tokens (SecretPrefix and 64
// lower-case hex digits), as macToken.ReplaceAll(b, nil) would.
func stripMACsOld(dst, b []byte) []byte {
	const n = len(SecretPrefix) + 64
	for {
		i := bytes.Index(b, []byte(SecretPrefix))
		if i < 0 {
			return append(dst, b...)
		}
		if i+n <= len(b) && isLowerHexOld(b[i+len(SecretPrefix):i+n]) {
			dst = append(dst, b[:i]...)
			b = b[i+n:]
			continue
		}
		dst = append(dst, b[:i+1]...)
		b = b[i+1:]
	}
}

func isLowerHexOld(b []byte) bool {
	for _, c := range b {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// secretValues redacts the named secrets of a request in place (the caller
// owns req's copy of what it changes): headers, query parameters, JSON
// body fields, tool arguments, form and JSON payloads, the query of an
// HTTP command line and the value of an SSH env request. It returns the
// raw values it replaced, in the forms they may take elsewhere in the
// event, for the replacer; the values of fields it replaced whole, as
// they came (not the parts of the command line or the payload it
// replaced), for the free-text search (see freeTextAsItCame); and whether
// it changed a value of req (false: req holds the values it held).
//
// known is the replacer of the secrets the session remembers (nil: none):
// a value it holds keeps its MAC and needs no forms computed again (they
// are remembered with it).
func (r *redactor) secretValuesOld(req *gate.Request, known *secretReplacer) (found, originals []string, rewrote bool) {
	command, payload := req.Command, req.Payload
	defer func() { rewrote = rewrote || req.Command != command || !bytes.Equal(req.Payload, payload) }()
	// Every value found by name is replaced where it stands. Those of 8
	// bytes or more are also replaced wherever else they occur, and the
	// event is refused if one survives; shorter ones ("1234", "basic")
	// are too common to chase through the whole event without garbling it
	// (or refusing a harmless request), and are replaced where they stand
	// only. A value of a SensitiveHeaders header is always chased.
	chase := func(v string) {
		// "Bearer TOKEN": the token alone may appear elsewhere.
		_, tok, spaced := strings.Cut(v, " ")
		tok = strings.TrimSpace(tok)
		spaced = spaced && len(tok) >= 8
		if known.has(v) && (!spaced || known.has(tok)) {
			found = append(found, v) // its forms are remembered with it
			return
		}
		found = append(found, v, url.QueryEscape(v), url.PathEscape(v))
		if spaced {
			found = append(found, tok)
		}
	}
	mac := func(v string) string {
		originals = append(originals, v)
		if m, ok := known.macOf(v); ok {
			return m
		}
		return r.mac(v)
	}
	add := func(v string) string {
		if v == "" || isMAC(v) {
			return v
		}
		if len(v) >= 8 {
			chase(v)
		}
		rewrote = true
		return mac(v)
	}
	if h := req.HTTP; h != nil {
		c := *h
		if len(h.Headers) > 0 && r.anySecretHeader(h.Headers) {
			c.Headers = make(map[string][]string, len(h.Headers))
			for name, vals := range h.Headers {
				always, named := r.verdict(name)
				if !always && !named {
					c.Headers[name] = vals
					continue
				}
				red := make([]string, len(vals))
				for i, v := range vals {
					if always || len(v) >= 8 {
						chase(v)
					}
					red[i] = mac(v)
				}
				c.Headers[name] = red
				rewrote = true
			}
		}
		if len(h.Query) > 0 && r.anyNamed(h.Query) {
			c.Query = make(map[string][]string, len(h.Query))
			for name, vals := range h.Query {
				if !r.isSecretName(name) {
					c.Query[name] = vals
					continue
				}
				red := make([]string, len(vals))
				for i, v := range vals {
					red[i] = add(v)
				}
				c.Query[name] = red
			}
		}
		if h.Body != nil && r.namedIn(h.Body, false) {
			c.Body = r.redactNamed(h.Body, false, add)
			rewrote = true // a nil map or slice in it is made empty
		}
		req.HTTP = &c
		n := len(originals) // parts of the command line: not values of their own
		req.Command = r.redactCommandQuery(req.Command, add)
		originals = originals[:n]
	}
	if t := req.Tool; t != nil && len(t.Args) > 0 {
		if r.namedIn(t.Args, false) {
			c := *t
			c.Args, _ = r.redactNamed(t.Args, false, add).(map[string]any)
			req.Tool = &c
			rewrote = true // a nil map or slice in it is made empty
		}
		// A tool call's command line is its name and its arguments' JSON.
		if rest, ok := strings.CutPrefix(req.Command, t.Name+" "); ok {
			n := len(originals)
			req.Command = t.Name + " " + string(r.redactPayload([]byte(rest), add))
			originals = originals[:n]
		}
	}
	if h := req.SSH; h != nil && h.EnvValue != "" && r.isSecretName(h.EnvName) {
		c := *h
		c.EnvValue = add(h.EnvValue)
		req.SSH = &c
	}
	if len(req.Payload) > 0 {
		n := len(originals) // the payload is searched raw, as it came
		req.Payload = r.redactPayload(req.Payload, add)
		originals = originals[:n]
	}
	return found, originals, rewrote
}
