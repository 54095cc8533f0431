package record

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
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
	hex.Encode(buf[len(SecretPrefix):], h.Sum(sum[:0]))
	r.macs.Put(h)
	return string(buf[:])
}

// body returns the stored JSON of e. It fails rather than store a secret raw.
func (r *redactor) body(e gate.Event) ([]byte, error) {
	var secrets []string
	orig := e          // replaceBytes copies what it changes: orig keeps the event as it came
	rewritten := false // whether secretValues rewrote e's request
	if e.Request != nil && mayHoldSecrets(e.Request) {
		rewritten = true
		req := *e.Request
		secrets = append(secrets, req.Secrets...)
		secrets = append(secrets, r.secretValues(&req)...)
		secrets = cleanSecrets(secrets)
		e.Request = &req
	}
	if endsSession(&e) {
		defer r.sessions.forget(e.SessionID)
	}
	rep, b, changed, err := r.replaced(&e, secrets)
	if err != nil {
		return nil, err
	}
	// Credentials written into free text (a command line, a URL, a body
	// string, an output) are secrets as much as the named ones. They are
	// searched for in the event as it came, not in its replaced form: a
	// named secret replaced first can cut the start of a free-text shape (a
	// PEM header) and leave its body unrecognised. When neither
	// secretValues nor replaceBytes changed a field, e holds the values of
	// orig and b is already orig's JSON (marshalEvent is a function of the
	// values): orig is not marshalled again.
	var found []string
	switch {
	case rep == nil:
		found = r.freeTextSecrets(&e, b) // nothing replaced: b is the event as it came
	case !rewritten && !changed:
		found = newSecrets(r.freeTextSecrets(&orig, b), secrets)
	default:
		ob, err := marshalEvent(&orig)
		if err != nil {
			return nil, err
		}
		found = newSecrets(r.freeTextSecrets(&orig, ob), secrets)
	}
	if len(found) > 0 {
		secrets = cleanSecrets(append(secrets, found...))
		if rep, b, _, err = r.replaced(&e, secrets); err != nil {
			return nil, err
		}
	}
	if rep == nil {
		return b, nil
	}
	// An event without secrets of its own is stored as it is unless a
	// remembered secret of its session shows in its JSON (raw or escaped).
	if len(secrets) == 0 && !secretSurvives(b, rep) {
		return r.checkedBytes(&e, b, rep)
	}
	// Every string of the document is redacted: secrets also hide in SQL
	// texts, argv, tool arguments and decoded bodies. The stored form is the
	// one a decode into any, a walk and a re-marshal give (keys sorted):
	// redactJSON produces it in one pass over the bytes, and the generic
	// path remains for JSON it does not handle.
	out, err := redactJSON(make([]byte, 0, len(b)+len(b)/4+80*len(rep.secrets)), b, rep)
	if err != nil {
		if out, err = r.redactGeneric(e, b, rep); err != nil {
			return nil, err
		}
	}
	return r.checked(&e, out, rep)
}

// replaced returns the replacer of e (with secrets of its own, see
// eventReplacer), the JSON of e once its byte fields are replaced, and
// whether a byte field changed.
func (r *redactor) replaced(e *gate.Event, secrets []string) (*secretReplacer, []byte, bool, error) {
	rep, err := r.eventReplacer(e.SessionID, secrets)
	if err != nil {
		return nil, nil, false, err
	}
	changed := rep != nil && r.replaceBytes(e, rep)
	b, err := marshalEvent(e)
	if err != nil {
		return nil, nil, false, err
	}
	return rep, b, changed, nil
}

// freeTextSecrets returns the secrets freeText finds in e: in b, its
// JSON, and in its byte fields (request payload, output data), read raw.
func (r *redactor) freeTextSecrets(e *gate.Event, b []byte) []string {
	var payload, data []byte
	if e.Request != nil {
		payload = e.Request.Payload
	}
	if e.Output != nil {
		data = e.Output.Data
	}
	found := freeText{names: r.names, filter: r.nameFilter, json: true}.scanEventJSON(nil, b, payload, data)
	raw := freeText{names: r.names, filter: r.nameFilter}
	found = raw.scan(found, payload)
	return raw.scan(found, data)
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
	if _, err := r.sessions.remember(r, session, secrets); err != nil {
		return nil, err
	}
	return r.merge(prev, secrets), nil
}

// replaceBytes replaces the secrets in the byte fields of e (stored in
// base64, which the JSON redaction cannot see into): the request's command
// and payload and the output's data. It reports whether one of them may
// have changed (false: e holds the values it held).
func (r *redactor) replaceBytes(e *gate.Event, rep *secretReplacer) bool {
	changed := false
	if e.Request != nil {
		req := *e.Request
		req.Command = rep.Replace(req.Command)
		changed = req.Command != e.Request.Command
		if len(req.Payload) > 0 && rep.contains(req.Payload) {
			req.Payload = []byte(rep.Replace(string(req.Payload)))
			changed = true
		}
		e.Request = &req
	}
	if o := e.Output; o != nil && rep.contains(o.Data) {
		c := *o
		c.Data = []byte(rep.Replace(string(o.Data)))
		e.Output = &c
		changed = true
	}
	return changed
}

// checked returns out, the stored JSON of e, unless a secret is left in it
// anywhere but inside a MAC, in the JSON or in its base64 fields (fail
// closed). A very short secret, found in field names, makes the event
// unrecordable, and so its request is refused.
func (r *redactor) checked(e *gate.Event, out []byte, rep *secretReplacer) ([]byte, error) {
	if secretSurvives(out, rep) {
		return nil, errSecretSurvived
	}
	return r.checkedBytes(e, out, rep)
}

// checkedBytes is checked for an event whose JSON is already known to hold
// no secret: only its base64 fields are searched.
func (r *redactor) checkedBytes(e *gate.Event, out []byte, rep *secretReplacer) ([]byte, error) {
	if (e.Request != nil && secretSurvives(e.Request.Payload, rep)) || (e.Output != nil && secretSurvives(e.Output.Data, rep)) {
		return nil, errSecretSurvived
	}
	return out, nil
}

var errSecretSurvived = errors.New("record: a secret survived redaction; refusing to store the event")

// redactGeneric is the reference redaction: decode the document, replace
// secrets in every string, marshal it again.
func (r *redactor) redactGeneric(e gate.Event, b []byte, rep *secretReplacer) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("record: redact %s event: %w", e.Kind, err)
	}
	doc = walk(doc, rep)
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("record: redact %s event: %w", e.Kind, err)
	}
	return out, nil
}

// secretSurvives reports whether a secret, raw or JSON-escaped, is found in
// b once every MAC is cut out of it.
func secretSurvives(b []byte, rep *secretReplacer) bool {
	c := canonPool.Get().(*canon)
	defer canonPool.Put(c)
	rest := stripMACs(c.scratch[:0], b)
	at, _ := findBytes(rep.m, rest, 0, false)
	c.scratch = rest
	return at >= 0
}

// stripMACs appends b to dst without its MAC tokens (SecretPrefix and 64
// lower-case hex digits), as macToken.ReplaceAll(b, nil) would.
func stripMACs(dst, b []byte) []byte {
	const n = len(SecretPrefix) + 64
	for {
		i := bytes.Index(b, []byte(SecretPrefix))
		if i < 0 {
			return append(dst, b...)
		}
		if i+n <= len(b) && isLowerHex(b[i+len(SecretPrefix):i+n]) {
			dst = append(dst, b[:i]...)
			b = b[i+n:]
			continue
		}
		dst = append(dst, b[:i+1]...)
		b = b[i+1:]
	}
}

func isLowerHex(b []byte) bool {
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

// Replace returns s with every secret replaced by its MAC.
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
		at, id = find(sr.m, s, last, true)
	}
	b.WriteString(s[last:])
	return b.String()
}

func walk(v any, rep *secretReplacer) any {
	switch x := v.(type) {
	case string:
		return rep.Replace(x)
	case []any:
		for i := range x {
			x[i] = walk(x[i], rep)
		}
		return x
	case map[string]any:
		// Keys are left alone (they are mostly field names); a secret used
		// as a key is caught by the check after the walk, and fails closed.
		for k, val := range x {
			x[k] = walk(val, rep)
		}
		return x
	}
	return v
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
