package record

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
)

// DefaultSecretNames are the names whose values are stored as HMACs: JSON
// body fields and tool arguments (at any depth; everything under such a
// field), HTTP headers and query or form parameters. It is mask.SecretNames,
// the module's one list of secret names (see there for the syntax).
var DefaultSecretNames = mask.SecretNames

// AuditHash returns the stored form of value under the HMAC key: what a
// record holds in place of that secret. An investigator with the key
// hashes a guessed value and searches the record for the result (as
// Vault's sys/audit-hash does).
func AuditHash(key []byte, value string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(value))
	return SecretPrefix + hex.EncodeToString(m.Sum(nil))
}

// isMAC reports whether s is a stored secret.
func isMAC(s string) bool {
	return len(s) == len(SecretPrefix)+64 && strings.HasPrefix(s, SecretPrefix) && isLowerHex([]byte(s[len(SecretPrefix):]))
}

// mayHoldSecrets reports whether redaction can change req: whether it
// lists secrets or has a part secretValuesInto looks into. When it reports
// false, the request is stored as it is, without a copy.
func mayHoldSecrets(req *gate.Request) bool {
	return len(req.Secrets) > 0 || req.HTTP != nil || (req.Tool != nil && len(req.Tool.Args) > 0) ||
		(req.SSH != nil && req.SSH.EnvValue != "") || len(req.Payload) > 0
}

// secretValuesInto redacts the named secrets of a request in place (the caller
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
// are remembered with it). Its small slices come from slab (nil: each
// allocated), and the copy of req's HTTP part it rewrites is written into
// hc (nil: a new one).
func (r *redactor) secretValuesInto(req *gate.Request, known *secretReplacer, slab *strSlab, hc *gate.HTTP) (found, originals []string, rewrote bool) {
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
		if found == nil {
			found = slab.room(6) // a value, its two escapes, its token, and room for two
		}
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
		if originals == nil {
			originals = slab.room(2)
		}
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
		c := hc
		if c == nil {
			c = new(gate.HTTP)
		}
		*c = *h
		if len(h.Headers) > 0 && r.anySecretHeader(h.Headers) {
			c.Headers = make(map[string][]string, len(h.Headers))
			for name, vals := range h.Headers {
				always, named := r.verdict(name)
				if !always && !named {
					c.Headers[name] = vals
					continue
				}
				red := slab.take(len(vals))
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
				red := slab.take(len(vals))
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
		req.HTTP = c
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

// anySecretHeader reports whether a header of h is stored as an HMAC.
func (r *redactor) anySecretHeader(h map[string][]string) bool {
	for name := range h {
		if header, named := r.verdict(name); header || named {
			return true
		}
	}
	return false
}

// anyNamed reports whether a parameter of q has a secret name.
func (r *redactor) anyNamed(q map[string][]string) bool {
	for name := range q {
		if r.isSecretName(name) {
			return true
		}
	}
	return false
}

// namedIn reports whether redactNamed(v, under, ...) may change v: whether
// it holds a scalar under a secret-named field (or a nil map or slice,
// which redactNamed turns into an empty one). When it reports false, v is
// stored as it is, without the copy redactNamed makes.
func (r *redactor) namedIn(v any, under bool) bool {
	switch x := v.(type) {
	case map[string]any:
		if x == nil {
			return true
		}
		pair := r.namedPair(x)
		for k, val := range x {
			if r.namedIn(val, under || r.isSecretName(k) || pair != "" && pair == k) {
				return true
			}
		}
	case []any:
		if x == nil {
			return true
		}
		for _, val := range x {
			if r.namedIn(val, under) {
				return true
			}
		}
	case string, json.Number, float64, int, int64:
		return under
	}
	return false
}

// redactNamed returns a copy of a decoded JSON value with every scalar
// under a secret-named field (or every scalar, when under is set) replaced
// by add's result.
func (r *redactor) redactNamed(v any, under bool, add func(string) string) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		pair := r.namedPair(x)
		for k, val := range x {
			out[k] = r.redactNamed(val, under || r.isSecretName(k) || pair != "" && pair == k, add)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = r.redactNamed(x[i], under, add)
		}
		return out
	case string:
		if under {
			return add(x)
		}
	case json.Number:
		if under {
			return add(x.String())
		}
	case float64:
		if under {
			return add(strconv.FormatFloat(x, 'g', -1, 64))
		}
	case int, int64:
		if under {
			return add(jsonScalar(x))
		}
	}
	return v
}

// namedPair returns the key of the value member of a name/value pair
// object whose name is a secret name ({"name": "password", "value": ...},
// as form-field lists and environment lists spell them), or "".
func (r *redactor) namedPair(m map[string]any) string {
	if len(m) > 4 {
		return ""
	}
	named := false
	value := ""
	for k, v := range m {
		switch {
		case !mayBePairKey(k):
		case strings.EqualFold(k, "name") || strings.EqualFold(k, "key") || strings.EqualFold(k, "field"):
			s, ok := v.(string)
			named = named || ok && r.isSecretName(s)
		case strings.EqualFold(k, "value") || strings.EqualFold(k, "val"):
			value = k
		}
	}
	if !named {
		return ""
	}
	return value
}

// mayBePairKey reports whether k may equal, in any case, one of the keys
// namedPair reads ("name", "key", "field", "value", "val"): a key whose
// first byte is ASCII and none of their first letters in either case is
// none of them (only KELVIN SIGN, not ASCII, folds to one of their
// letters), and the case-folded comparisons are spared for it.
func mayBePairKey(k string) bool {
	if k == "" {
		return false
	}
	switch k[0] | 0x20 {
	case 'n', 'k', 'f', 'v':
		return true
	}
	return k[0] >= 0x80
}

func jsonScalar(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// redactCommandQuery replaces the values of secret-named parameters in the
// query of an HTTP command line ("GET /path?a=1&token=..."), whatever
// their percent-encoding.
func (r *redactor) redactCommandQuery(cmd string, add func(string) string) string {
	q := strings.IndexByte(cmd, '?')
	if q < 0 {
		return cmd
	}
	end := len(cmd)
	if i := strings.IndexAny(cmd[q:], " #"); i >= 0 {
		end = q + i
	}
	red, changed := r.redactForm(cmd[q+1:end], add)
	if !changed {
		return cmd
	}
	return cmd[:q+1] + red + cmd[end:]
}

// redactPayload redacts secret-named fields of a JSON or form payload. A
// JSON payload holding one is stored re-encoded (keys sorted) with the
// values replaced: its raw bytes may spell the secret with escapes no
// search would find.
func (r *redactor) redactPayload(p []byte, add func(string) string) []byte {
	trim := strings.TrimSpace(string(p))
	if r.names == nil {
		return p
	}
	if strings.HasPrefix(trim, "{") || strings.HasPrefix(trim, "[") {
		dec := json.NewDecoder(strings.NewReader(trim))
		dec.UseNumber()
		var doc any
		if dec.Decode(&doc) == nil && !dec.More() {
			n := 0
			red := r.redactNamed(doc, false, func(v string) string { n++; return add(v) })
			if n > 0 {
				if b, err := json.Marshal(red); err == nil {
					return b
				}
			}
			return p
		}
	}
	if strings.ContainsRune(trim, '=') {
		if red, changed := r.redactForm(trim, add); changed {
			return []byte(red)
		}
	}
	return p
}
