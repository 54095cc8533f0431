package record

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
)

// SecretPrefix starts the stored form of a secret: "hmac-sha256:" followed by
// the hex HMAC-SHA-256 of the secret under the recorder's HMAC key. Equal
// secrets give equal HMACs under one key, so an investigator holding the key
// can check a guess; nobody can read the secret back.
const SecretPrefix = "hmac-sha256:"

// SensitiveHeaders are the HTTP headers (lower case) whose values are always
// stored as HMACs, whether or not the protocol package listed them in
// gate.Request.Secrets.
var SensitiveHeaders = []string{
	"authorization", "proxy-authorization", "cookie", "set-cookie",
	"x-api-key", "api-key", "x-auth-token", "x-amz-security-token", "x-csrf-token",
}

func isSensitiveHeader(name string) bool {
	name = strings.ToLower(name)
	for _, h := range SensitiveHeaders {
		if name == h {
			return true
		}
	}
	return false
}

// redactor turns a gate.Event into the JSON body that is stored, replacing
// every secret with its keyed HMAC.
type redactor struct {
	key []byte
}

func (r *redactor) mac(secret string) string {
	m := hmac.New(sha256.New, r.key)
	m.Write([]byte(secret))
	return SecretPrefix + hex.EncodeToString(m.Sum(nil))
}

// body returns the stored JSON of e. It fails rather than store a secret raw.
func (r *redactor) body(e gate.Event) ([]byte, error) {
	if e.Kind == gate.EventOutput && e.Output != nil {
		if b, ok := appendOutputEvent(make([]byte, 0, 256+len(e.Output.Data)*4/3), &e); ok {
			return b, nil
		}
	}
	var secrets []string
	var rep *strings.Replacer
	if e.Request != nil {
		req := *e.Request
		secrets = append(secrets, req.Secrets...)
		if req.HTTP != nil && len(req.HTTP.Headers) > 0 {
			h := *req.HTTP
			h.Headers = make(map[string][]string, len(req.HTTP.Headers))
			for name, vals := range req.HTTP.Headers {
				if !isSensitiveHeader(name) {
					h.Headers[name] = vals
					continue
				}
				red := make([]string, len(vals))
				for i, v := range vals {
					red[i] = r.mac(v)
					secrets = append(secrets, v)
					// "Bearer TOKEN": the token alone may appear elsewhere.
					if _, tok, ok := strings.Cut(v, " "); ok && len(strings.TrimSpace(tok)) >= 8 {
						secrets = append(secrets, strings.TrimSpace(tok))
					}
				}
				h.Headers[name] = red
			}
			req.HTTP = &h
		}
		secrets = cleanSecrets(secrets)
		if len(secrets) > 0 {
			rep = r.replacer(secrets)
			req.Command = rep.Replace(req.Command)
			if len(req.Payload) > 0 {
				req.Payload = []byte(rep.Replace(string(req.Payload)))
			}
		}
		e.Request = &req
	}
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("record: encode %s event: %w", e.Kind, err)
	}
	if len(secrets) == 0 {
		return b, nil
	}
	// Walk every string of the document: secrets also hide in SQL texts,
	// argv, tool arguments and decoded bodies.
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("record: redact %s event: %w", e.Kind, err)
	}
	doc = walk(doc, rep)
	if b, err = json.Marshal(doc); err != nil {
		return nil, fmt.Errorf("record: redact %s event: %w", e.Kind, err)
	}
	// Fail closed: a secret must not be left anywhere but inside a MAC. (A
	// very short secret, found in field names, makes the event unrecordable,
	// and so its request is refused.)
	rest := macToken.ReplaceAll(b, nil)
	for _, s := range secrets {
		esc, _ := json.Marshal(s)
		if bytes.Contains(rest, []byte(s)) || bytes.Contains(rest, esc[1:len(esc)-1]) {
			return nil, errors.New("record: a secret survived redaction; refusing to store the event")
		}
	}
	return b, nil
}

// cleanSecrets drops empty secrets and puts longer ones first, so a secret
// that contains another is replaced whole.
func cleanSecrets(in []string) []string {
	out := in[:0]
	for _, s := range in {
		if s != "" {
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

var macToken = regexp.MustCompile(`hmac-sha256:[0-9a-f]{64}`)

// replacer replaces every secret with its MAC in one pass, longest first, so
// that no replacement touches another's output.
func (r *redactor) replacer(secrets []string) *strings.Replacer {
	pairs := make([]string, 0, 2*len(secrets))
	for _, s := range secrets {
		pairs = append(pairs, s, r.mac(s))
	}
	return strings.NewReplacer(pairs...)
}

func walk(v any, rep *strings.Replacer) any {
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
