package record

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash"
	"slices"
	"strings"
	"sync"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
)

// SecretPrefix starts the stored form of a secret: "hmac-sha256:" followed by
// the hex HMAC-SHA-256 of the secret under the recorder's HMAC key. Equal
// secrets give equal HMACs under one key, so an investigator holding the key
// can check a guess; nobody can read the secret back.
const SecretPrefix = "hmac-sha256:"

// SensitiveHeaders are the HTTP headers (lower case) whose values are always
// stored as HMACs, whether or not the protocol package listed them in
// gate.Request.Secrets. It is mask.SecretHeaders.
var SensitiveHeaders = mask.SecretHeaders

// redactor turns a gate.Event into the JSON body that is stored, replacing
// every secret with its keyed HMAC.
type redactor struct {
	key   []byte
	names *mask.SecretNameSet // nil: no names
	// nameFilter rules out most names before names.Match (nil: none).
	nameFilter *nameFilter
	macs       sync.Pool // of hash.Hash, HMAC-SHA-256 under key
	// sessions remembers the secrets of each session's requests.
	sessions sessionSecrets
	// memos remembers what the free-text search found clean in each
	// session's last events.
	memos scanMemos
	// verdicts remembers the verdicts of the names met last.
	verdicts nameVerdicts
	// bufs supplies the buffers of the bodies (nil: each allocated).
	bufs *bodyBufs
}

// isSecretName reports whether name matches the recorder's secret names
// (matchName's verdict, remembered).
func (r *redactor) isSecretName(name string) bool {
	_, named := r.verdict(name)
	return named
}

// matchName reports whether name matches the recorder's secret names,
// ruling most names out by the filter before the list's own Match.
func (r *redactor) matchName(name string) bool {
	return mayMatchName(r.nameFilter, name) && r.names.Match(name)
}

func (r *redactor) mac(secret string) string {
	h, _ := r.macs.Get().(hash.Hash)
	if h == nil {
		h = hmac.New(sha256.New, r.key)
	}
	h.Reset()
	h.Write([]byte(secret))
	var buf [len(SecretPrefix) + 2*sha256.Size]byte
	var sum [sha256.Size]byte
	copy(buf[:], SecretPrefix)
	encodeHex(buf[len(SecretPrefix):], h.Sum(sum[:0]))
	r.macs.Put(h)
	return string(buf[:])
}

// body returns the stored JSON of e. It fails rather than store a secret raw.
func (r *redactor) body(e gate.Event) ([]byte, error) {
	var secrets, originals []string
	var slab *strSlab // of the small slices of a request's redaction
	orig := e         // e's request is replaced by a copy where secretValuesInto rewrites it
	if e.Request != nil && mayHoldSecrets(e.Request) {
		// The request's copy, its HTTP part's and the slab in one
		// allocation.
		rc := new(requestCopy)
		rc.req = *e.Request
		req := &rc.req
		var hc *gate.HTTP
		if req.HTTP != nil {
			hc = &rc.http
		}
		rc.slab.s = rc.strs[:0]
		slab = &rc.slab
		var named []string
		named, originals, _ = r.secretValuesInto(req, r.sessions.get(e.SessionID), slab, hc)
		if len(req.Secrets) == 0 {
			secrets = cleanSecrets(named) // named is this call's own: no copy
		} else {
			secrets = cleanSecrets(append(append(secrets, req.Secrets...), named...))
		}
		e.Request = req
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
	found, err := r.freeTextAsItCame(slab.room(4), &orig, &e, b, &gaps, originals, memo)
	if err != nil {
		return nil, err
	}
	if found = newSecrets(found, secrets); len(found) > 0 {
		secrets = cleanSecrets(append(secrets, found...))
	}
	rep, err := r.eventReplacer(e.SessionID, secrets)
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
		if !survivesOutside(b, spans, rep) {
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
		if len(secrets) == 0 && !survives(&e, b, spans, rep) {
			return b, nil
		}
	}
	// Every string value of the document is redacted: secrets also hide in
	// SQL texts, argv, tool arguments and decoded bodies.
	out, spans, err := redactStrings(b, rep, spans)
	if err != nil {
		return nil, err
	}
	if survives(&e, out, spans, rep) {
		return nil, errSecretSurvived
	}
	return out, nil
}

// requestCopy is the copy body makes of a request it redacts, with room
// for the copy of its HTTP part and the slab of the redaction's small
// slices (none of which outlives the event's body).
type requestCopy struct {
	req  gate.Request
	http gate.HTTP
	slab strSlab
	strs [strSlabSize]string
}

// bodyDone is what body does when it returns: it releases memo (nil:
// nothing) and, when the event ended its session, forgets the session's
// scan memory and secrets.
func (r *redactor) bodyDone(session string, memo *scanMemo, ended bool) {
	memo.unlock()
	if ended {
		r.memos.forget(session)
		r.sessions.forget(session)
	}
}

// freeTextSecrets returns the secrets freeText finds in e: in b, its
// JSON, but for its gaps (the base64 of its byte fields and the fields the
// gateway writes in a fixed form, see textGaps), and in the byte fields
// (request payload, output data), read raw.
func (r *redactor) freeTextSecrets(e *gate.Event, b []byte, gaps [][2]int) []string {
	return r.freeTextPieces(e, b, gaps, nil)
}

// freeTextPieces is freeTextSecrets with m, the scan memory of e's
// session and kind (nil: none; see scanMemo).
func (r *redactor) freeTextPieces(e *gate.Event, b []byte, gaps [][2]int, m *scanMemo) []string {
	return r.freeTextPiecesTo(nil, e, b, gaps, m)
}

// freeTextPiecesTo is freeTextPieces appending to found.
func (r *redactor) freeTextPiecesTo(found []string, e *gate.Event, b []byte, gaps [][2]int, m *scanMemo) []string {
	ps := newPieceScan(m)
	var payload, data []byte
	if e.Request != nil {
		payload = e.Request.Payload
	}
	if e.Output != nil {
		data = e.Output.Data
	}
	json := freeText{names: r.names, filter: r.nameFilter, json: true}
	from := 0
	for _, g := range gaps {
		if t := b[from:g[0]]; !ps.known(t, false) {
			found = ps.scan(json, found, t)
		}
		from = g[1]
	}
	if t := b[from:]; !ps.known(t, false) {
		found = ps.scan(json, found, t)
	}
	raw := freeText{names: r.names, filter: r.nameFilter}
	if !ps.known(payload, true) {
		found = ps.scan(raw, found, payload)
	}
	if !ps.known(data, true) {
		found = ps.scan(raw, found, data)
	}
	return found
}

// freeTextAsItCame returns what freeTextSecrets finds in orig, an event
// as it came, given e, its form with secretValuesInto's rewrites (b its JSON,
// gaps b's), and originals, the values secretValuesInto replaced whole. When
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
// memo is the scan memory of orig's session and kind (nil: none). What is
// found is appended to found.
func (r *redactor) freeTextAsItCame(found []string, orig, e *gate.Event, b []byte, gaps *textGaps, originals []string, memo *scanMemo) ([]string, error) {
	// An event whose request was not rewritten (e.Request is orig's) is
	// orig: b is orig's JSON, searched as it is.
	if e.Request == orig.Request {
		return r.freeTextPiecesTo(found, orig, b, gaps.list(), memo), nil
	}
	sp := scratchPool.Get().(*[]byte)
	defer scratchPool.Put(sp)
	if orig.Request != nil && e.Request.Command != orig.Request.Command || mayStartPEM(b, originals) {
		ob, _, err := appendEventMemo((*sp)[:0], orig, gaps, nil)
		if err != nil {
			return nil, err
		}
		*sp = ob // found secrets are copies: the buffer is free once they are
		return r.freeTextPiecesTo(found, orig, ob, gaps.list(), memo), nil
	}
	found = r.freeTextPiecesTo(found, orig, b, gaps.list(), memo)
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

// pemStart starts every PEM block the free-text search reads (scanPEM).
const pemStart = "-----BEGIN "

// mayStartPEM reports whether b or one of texts holds pemStart.
func mayStartPEM(b []byte, texts []string) bool {
	if bytes.Contains(b, []byte(pemStart)) {
		return true
	}
	for _, t := range texts {
		if strings.Contains(t, pemStart) {
			return true
		}
	}
	return false
}

// eventReplacer returns the replacer of an event of session with secrets
// of its own: those, and the ones remembered from the session's earlier
// requests. The event's own are remembered for the later events (with
// their other forms, which the event itself is not searched for). Nil:
// nothing to replace.
func (r *redactor) eventReplacer(session string, secrets []string) (*secretReplacer, error) {
	prev := r.sessions.get(session)
	if len(secrets) == 0 {
		return prev, nil
	}
	// The usual event holds the secrets its session's earlier ones did:
	// one look tells rememberKnown that it has nothing to add (when the
	// session's replacer is still prev) and merge that it would return
	// prev.
	known := prev.hasAll(secrets)
	if _, err := r.sessions.rememberKnown(r, session, secrets, prev, known); err != nil {
		return nil, err
	}
	if known {
		return prev, nil
	}
	return r.merge(prev, secrets), nil
}

// replaceBytes replaces the secrets in the byte fields of e, stored in
// base64 (the request's payload, the output's data), and in the request's
// command line as it is (the string redaction reads its JSON form, where
// bytes that are not UTF-8 have become U+FFFD). It reports whether one of
// them changed (false: e holds the values it held).
func (r *redactor) replaceBytes(e *gate.Event, rep *secretReplacer) bool {
	changed := false
	if q := e.Request; q != nil && (rep.containsString(q.Command) || len(q.Payload) > 0 && rep.contains(q.Payload)) {
		req := *q
		req.Command = rep.Replace(req.Command)
		if len(req.Payload) > 0 && rep.contains(req.Payload) {
			req.Payload = []byte(rep.Replace(string(req.Payload)))
		}
		e.Request = &req
		changed = true
	}
	if o := e.Output; o != nil && rep.contains(o.Data) {
		c := *o
		c.Data = []byte(rep.Replace(string(o.Data)))
		e.Output = &c
		changed = true
	}
	return changed
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
func survives(e *gate.Event, b []byte, spans [][2]int, rep *secretReplacer) bool {
	if rep.m == nil {
		return false
	}
	if e.Request != nil && secretSurvives(e.Request.Payload, rep) || e.Output != nil && secretSurvives(e.Output.Data, rep) {
		return true
	}
	return survivesOutside(b, spans, rep)
}

// cleanBytes reports whether p holds no form of a secret of rep (raw or
// JSON-escaped) and no MAC: then rep.contains(p) and secretSurvives(p,
// rep) are false, which one search tells (a raw form is one of the forms).
func cleanBytes(p []byte, rep *secretReplacer) bool {
	if bytes.Contains(p, []byte(SecretPrefix)) {
		return false
	}
	at, _ := findBytes(rep.m, p, 0, false)
	return at < 0
}

// survivesOutside is survives for b but its spans (the base64 of the byte
// fields), which it does not read.
func survivesOutside(b []byte, spans [][2]int, rep *secretReplacer) bool {
	if rep.m == nil {
		return false
	}
	from := 0
	for _, s := range spans {
		if s[0] < from {
			continue
		}
		if secretSurvives(b[from:s[0]], rep) {
			return true
		}
		from = s[1]
	}
	return secretSurvives(b[from:], rep)
}

// byteFieldSpans returns where the base64 values of e's byte fields (the
// request's payload, key "payload"; the output's data, key "data") are in
// b, its JSON, in order.
func byteFieldSpans(e *gate.Event, b []byte) [][2]int {
	var payload, data []byte
	if e.Request != nil {
		payload = e.Request.Payload
	}
	if e.Output != nil {
		data = e.Output.Data
	}
	var spans [][2]int
	if s, end := base64Value(b, `"payload":"`, payload); s >= 0 {
		spans = append(spans, [2]int{s, end})
	}
	if s, end := base64Value(b, `"data":"`, data); s >= 0 {
		spans = append(spans, [2]int{s, end})
		if len(spans) == 2 && spans[1][0] < spans[0][0] {
			spans[0], spans[1] = spans[1], spans[0]
		}
	}
	return spans
}

var errSecretSurvived = errors.New("record: a secret survived redaction; refusing to store the event")

// secretSurvives reports whether a secret, raw or JSON-escaped, is found in
// b once every MAC is cut out of it.
func secretSurvives(b []byte, rep *secretReplacer) bool {
	if len(b) == 0 {
		return false
	}
	i := bytes.Index(b, []byte(SecretPrefix))
	if i < 0 {
		at, _ := findBytes(rep.m, b, 0, false)
		return at >= 0
	}
	sp := stripPool.Get().(*[]byte)
	rest := stripMACsAt((*sp)[:0], b, i) // the search for a MAC goes on from i
	at, _ := findBytes(rep.m, rest, 0, false)
	*sp = rest
	stripPool.Put(sp)
	return at >= 0
}

// stripPool holds the buffers of secretSurvives.
var stripPool = sync.Pool{New: func() any { return new([]byte) }}

// scratchPool holds the buffers of the JSON body marshals for the
// free-text search only (an event as it came, when it is stored rewritten).
var scratchPool = sync.Pool{New: func() any { return new([]byte) }}

// stripMACsAt appends b to dst without its MAC tokens (SecretPrefix and
// 64 lower-case hex digits), as macToken.ReplaceAll(b, nil) would, given
// i, the index of SecretPrefix's first occurrence in b (-1: none).
func stripMACsAt(dst, b []byte, i int) []byte {
	const n = len(SecretPrefix) + 64
	for i >= 0 {
		if i+n <= len(b) && isLowerHex(b[i+len(SecretPrefix):i+n]) {
			dst = append(dst, b[:i]...)
			b = b[i+n:]
		} else {
			dst = append(dst, b[:i+1]...)
			b = b[i+1:]
		}
		i = bytes.Index(b, []byte(SecretPrefix))
	}
	return append(dst, b...)
}

// isLowerHex reports whether b is all lower-case hex digits, eight bytes
// at a time: in a word of bytes below 0x80, adding 0x50 to a byte sets its
// top bit when it is '0' (0x30) or above and adding 0x46 when it is past
// '9' (0x39), without a carry into the next byte; 0x1f and 0x19 do the
// same for 'a' (0x61) to 'f' (0x66).
func isLowerHex(b []byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; len(b) >= 8; b = b[8:] {
		w := binary.LittleEndian.Uint64(b)
		if w&highs != 0 {
			return false
		}
		digit := (w + 0x50*ones) &^ (w + 0x46*ones)
		letter := (w + 0x1f*ones) &^ (w + 0x19*ones)
		if (digit|letter)&highs != highs {
			return false
		}
	}
	for _, c := range b {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// cleanSecrets drops empty and repeated secrets (a value and its escaped
// forms are often the same string; each costs an HMAC) and puts longer ones
// first, so a secret that contains another is replaced whole.
func cleanSecrets(in []string) []string {
	out := in[:0]
	for _, s := range in {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && len(out[j]) > len(out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// replacer replaces every secret with its MAC in one pass, longest first, so
// that no replacement touches another's output.
func (r *redactor) replacer(secrets []string) *secretReplacer {
	sr := newSecretReplacer(secrets)
	for i, s := range secrets {
		sr.macs[i] = r.mac(s)
	}
	return sr
}

// newSecretReplacer returns a replacer of secrets with their byte and
// JSON-escaped forms filled in and their MACs left for the caller.
func newSecretReplacer(secrets []string) *secretReplacer {
	sr := &secretReplacer{secrets: secrets, bytes: make([][]byte, len(secrets)), escaped: make([][]byte, len(secrets)),
		macs: make([]string, len(secrets))}
	for i, s := range secrets {
		sr.bytes[i] = []byte(s)
		esc := appendString(nil, s)
		sr.escaped[i] = esc[1 : len(esc)-1]
	}
	sr.m = newMultiMatcher(sr.bytes, sr.escaped)
	return sr
}

// secretReplacer replaces secrets as strings.NewReplacer(secret1, mac1,
// secret2, mac2, ...) does: scanning left to right, at each position the
// first secret in list order (the longest, as the list is sorted) that
// matches is replaced and the scan resumes after it. Building a
// strings.Replacer for every event costs more than the event; its
// multiMatcher is built once per replacer, that is once per change of a
// session's remembered secrets.
type secretReplacer struct {
	secrets []string
	bytes   [][]byte
	escaped [][]byte // each secret as it reads inside a JSON string
	macs    []string
	m       *multiMatcher
}

// contains reports whether s holds one of the secrets.
func (sr *secretReplacer) contains(s []byte) bool {
	at, _ := findBytes(sr.m, s, 0, true)
	return at >= 0
}

// containsString reports whether s holds one of the secrets.
func (sr *secretReplacer) containsString(s string) bool {
	at, _ := find(sr.m, s, 0, true)
	return at >= 0
}

// Replace returns s with every secret replaced by its MAC. Where secrets
// overlap (one starts inside another's occurrence and ends past it), the
// first's MAC is followed by the other's, so that no byte of either is
// left in clear.
func (sr *secretReplacer) Replace(s string) string {
	at, id := find(sr.m, s, 0, true)
	if at < 0 {
		return s
	}
	var b strings.Builder
	last := 0
	for at >= 0 {
		j := sr.m.secret[id]
		if last == 0 {
			b.Grow(len(s) + len(sr.macs[j]))
		}
		b.WriteString(s[last:at])
		b.WriteString(sr.macs[j])
		last = at + len(sr.secrets[j])
		for q := at + 1; q < last; {
			p, k := find(sr.m, s, q, true)
			if p < 0 || p >= last {
				break
			}
			if end := p + len(sr.m.pats[k]); end > last {
				b.WriteString(sr.macs[sr.m.secret[k]])
				last = end
			}
			q = p + 1
		}
		at, id = find(sr.m, s, last, true)
	}
	b.WriteString(s[last:])
	return b.String()
}

// newSecrets returns the values of found that known does not hold.
func newSecrets(found, known []string) []string {
	out := found[:0]
	for _, f := range found {
		if !slices.Contains(known, f) {
			out = append(out, f)
		}
	}
	return out
}
