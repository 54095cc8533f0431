package record

// This file is the redaction the recorder used before redactStrings: the
// stored form of an event with a secret was the one a decode into any, a
// walk and a re-marshal give (keys sorted). It is kept as the oracle of
// the tests that hold redactStrings to it (same values, same refusals).

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/jsontext"
)

// errCanon sends an event down the slow, generic redaction path: the fast
// re-encoder met JSON it does not handle (a duplicate key, an unusual escape).
var errCanon = errors.New("record: not canonical")

// redactJSON rewrites src, the json.Marshal output of an event, into dst the
// way decoding it into an any, replacing secrets in every string value with
// rep and marshalling it again would: object keys sorted, strings in
// encoding/json's escaped form, numbers and literals as they were. It walks
// the bytes once per nesting level and allocates no tree.
func redactJSON(dst, src []byte, rep *secretReplacer) ([]byte, error) {
	c := canonPool.Get().(*canon)
	defer canonPool.Put(c)
	c.rep = rep
	dst, end, err := c.value(dst, src, 0)
	c.rep = nil
	if err != nil {
		return nil, err
	}
	if end != len(src) {
		return nil, errCanon
	}
	return dst, nil
}

type member struct {
	key        []byte // decoded
	start, end int    // the value's bytes in src
}

type canon struct {
	rep     *secretReplacer
	members []member
}

var canonPool = sync.Pool{New: func() any { return &canon{} }}

// value writes the value starting at src[i] and returns the index after it.
func (c *canon) value(dst, src []byte, i int) ([]byte, int, error) {
	if i >= len(src) {
		return nil, 0, errCanon
	}
	switch src[i] {
	case '"':
		s, end, err := c.str(src, i)
		if err != nil {
			return nil, 0, err
		}
		// The replacer only changes a string that holds a secret: test that
		// first, and skip the copy a Replace call makes.
		if !c.rep.contains(s) {
			return appendString(dst, s), end, nil
		}
		return appendString(dst, c.rep.Replace(string(s))), end, nil
	case '[':
		dst = append(dst, '[')
		i++
		if i < len(src) && src[i] == ']' {
			return append(dst, ']'), i + 1, nil
		}
		for {
			var err error
			if dst, i, err = c.value(dst, src, i); err != nil {
				return nil, 0, err
			}
			if i >= len(src) {
				return nil, 0, errCanon
			}
			if src[i] == ']' {
				return append(dst, ']'), i + 1, nil
			}
			if src[i] != ',' {
				return nil, 0, errCanon
			}
			dst = append(dst, ',')
			i++
		}
	case '{':
		return c.object(dst, src, i)
	}
	// Number or literal: copied as is (json.Number marshals verbatim).
	j := i
	for j < len(src) && src[j] != ',' && src[j] != ']' && src[j] != '}' {
		j++
	}
	if j == i {
		return nil, 0, errCanon
	}
	return append(dst, src[i:j]...), j, nil
}

func (c *canon) object(dst, src []byte, i int) ([]byte, int, error) {
	base := len(c.members)
	defer func() { c.members = c.members[:base] }()
	i++
	if i < len(src) && src[i] == '}' {
		return append(dst, '{', '}'), i + 1, nil
	}
	for {
		if i >= len(src) || src[i] != '"' {
			return nil, 0, errCanon
		}
		k, end, err := c.str(src, i)
		if err != nil {
			return nil, 0, err
		}
		if end >= len(src) || src[end] != ':' {
			return nil, 0, errCanon
		}
		vs := end + 1
		ve, err := skipValue(src, vs)
		if err != nil {
			return nil, 0, err
		}
		c.members = append(c.members, member{key: k, start: vs, end: ve})
		i = ve
		if i >= len(src) {
			return nil, 0, errCanon
		}
		if src[i] == '}' {
			i++
			break
		}
		if src[i] != ',' {
			return nil, 0, errCanon
		}
		i++
	}
	ms := c.members[base:]
	slices.SortFunc(ms, func(a, b member) int { return bytes.Compare(a.key, b.key) })
	for j := 1; j < len(ms); j++ {
		if bytes.Equal(ms[j].key, ms[j-1].key) {
			return nil, 0, errCanon // the decoder would keep the last one: let it.
		}
	}
	dst = append(dst, '{')
	for j := 0; j < len(ms); j++ {
		m := c.members[base+j] // re-read: the recursion may grow c.members
		if j > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, m.key)
		dst = append(dst, ':')
		var err error
		var end int
		if dst, end, err = c.value(dst, src[:m.end], m.start); err != nil {
			return nil, 0, err
		}
		if end != m.end {
			return nil, 0, errCanon
		}
	}
	return append(dst, '}'), i, nil
}

// str decodes the JSON string at src[i]. A string without escapes, the usual
// case, is returned as a slice of src; one that is not valid UTF-8 is
// decoded by encoding/json, exactly as the generic path decodes it.
func (c *canon) str(src []byte, i int) ([]byte, int, error) {
	s, _, end, err := jsontext.ReadString(nil, src, i)
	if err != nil {
		return nil, 0, errCanon
	}
	if utf8.Valid(s) {
		return s, end, nil
	}
	var u string
	if err := json.Unmarshal(src[i:end], &u); err != nil {
		return nil, 0, errCanon
	}
	return []byte(u), end, nil
}

// skipValue returns the index after the value starting at src[i]. src is
// json.Marshal output (compact and valid), so matching quotes and brackets
// is enough; c.value, which re-reads every value it copies, checks that
// the value ends where this says.
func skipValue(src []byte, i int) (int, error) {
	depth := 0
	for i < len(src) {
		switch src[i] {
		case '"':
			for i++; i < len(src) && src[i] != '"'; i++ {
				if src[i] == '\\' {
					i++
				}
			}
			i++ // the closing quote
		case '{', '[':
			depth++
			i++
			continue
		case '}', ']':
			depth--
			i++
		default:
			if depth > 0 {
				i++
				continue
			}
			j := i // a number or literal
			for j < len(src) && src[j] != ',' && src[j] != ']' && src[j] != '}' {
				j++
			}
			return j, nil
		}
		if depth < 0 || i > len(src) {
			return 0, errCanon
		}
		if depth == 0 {
			return i, nil
		}
	}
	return 0, errCanon
}

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

// replacedBefore returns the replacer of e (with secrets of its own, see
// eventReplacer), the JSON of e once its byte fields are replaced, and
// whether a byte field changed.
//
// The replacer is made of prev, the secrets the session remembered before
// the event, and secrets, as redactor.body makes it: the old body, calling
// eventReplacer again when the free-text search found more, took the
// event's own remembered forms (a cookie's values, base64) on that second
// call only.
func (r *redactor) replacedBefore(e *gate.Event, prev *secretReplacer, secrets []string) (*secretReplacer, []byte, bool, error) {
	rep := prev
	if len(secrets) > 0 {
		if _, err := r.sessions.remember(r, e.SessionID, secrets); err != nil {
			return nil, nil, false, err
		}
		rep = r.merge(prev, secrets)
	}
	changed := rep != nil && r.replaceBytesBefore(e, rep)
	b, err := marshalEvent(e)
	if err != nil {
		return nil, nil, false, err
	}
	return rep, b, changed, nil
}

// replaceBytes replaces the secrets in the byte fields of e (stored in
// base64, which the JSON redaction cannot see into): the request's command
// and payload and the output's data. It reports whether one of them may
// have changed (false: e holds the values it held).
func (r *redactor) replaceBytesBefore(e *gate.Event, rep *secretReplacer) bool {
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
func (r *redactor) checkedBefore(e *gate.Event, out []byte, rep *secretReplacer) ([]byte, error) {
	if secretSurvives(out, rep) {
		return nil, errSecretSurvived
	}
	return r.checkedBytesBefore(e, out, rep)
}

// checkedBytes is checked for an event whose JSON is already known to hold
// no secret: only its base64 fields are searched.
func (r *redactor) checkedBytesBefore(e *gate.Event, out []byte, rep *secretReplacer) ([]byte, error) {
	if (e.Request != nil && secretSurvives(e.Request.Payload, rep)) || (e.Output != nil && secretSurvives(e.Output.Data, rep)) {
		return nil, errSecretSurvived
	}
	return out, nil
}

// secretValuesOnly drops secretValues' second result.
func secretValuesOnly(found, _ []string, _ bool) []string { return found }

// sameJSONValue reports whether a and b are JSON texts of the same value
// (object keys in any order, numbers compared as written).
func sameJSONValue(a, b []byte) bool {
	va, erra := decodeJSONValue(a)
	vb, errb := decodeJSONValue(b)
	return erra == nil && errb == nil && reflect.DeepEqual(va, vb)
}

func decodeJSONValue(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data")
	}
	return v, nil
}

// redactedAlike compares old and new, two stored forms of one event (an
// oracle's and redactor.body's): same reports that they are the same JSON
// value; hidesMore that they differ only in strings (or base64 byte fields)
// where both hide a secret under a MAC and every piece of new's text
// between its MACs is in old's text too (one MAC where the oracle,
// replacing named secrets before free-text ones, left two with text
// between): new reveals nothing old did not.
func redactedAlike(old, new []byte) (same, hidesMore bool) {
	vo, erro := decodeJSONValue(old)
	vn, errn := decodeJSONValue(new)
	if erro != nil || errn != nil {
		return false, false
	}
	if reflect.DeepEqual(vo, vn) {
		return true, false
	}
	return false, alikeValue(vo, vn, "")
}

func alikeValue(o, n any, key string) bool {
	switch x := o.(type) {
	case map[string]any:
		y, ok := n.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !alikeValue(v, w, k) {
				return false
			}
		}
		return true
	case []any:
		y, ok := n.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !alikeValue(x[i], y[i], key) {
				return false
			}
		}
		return true
	case string:
		y, ok := n.(string)
		if !ok {
			return false
		}
		if x == y {
			return true
		}
		if key == "payload" || key == "data" {
			bx, errx := base64.StdEncoding.DecodeString(x)
			by, erry := base64.StdEncoding.DecodeString(y)
			if erry != nil {
				return false
			}
			if errx != nil {
				// The oracle replaced a base64 form of a secret inside the
				// base64 of a byte field: its stored event does not decode.
				return true
			}
			x, y = string(bx), string(by)
		}
		return alikeText(x, y)
	}
	return reflect.DeepEqual(o, n)
}

// alikeText reports whether both texts hide something under a MAC and
// every piece of n between its MACs is in o with its MACs cut out.
func alikeText(o, n string) bool {
	if !macToken.MatchString(o) || !macToken.MatchString(n) {
		return false
	}
	rest := macToken.ReplaceAllString(o, "\x00")
	for _, piece := range macToken.Split(n, -1) {
		if !strings.Contains(rest, piece) {
			return false
		}
	}
	return true
}

// storesNoSecret searches stored, an event's stored JSON, decoded (its
// byte fields decoded from base64), with its MACs cut out, for each of
// secrets (of 4 bytes or more) in every key and string.
func storesNoSecret(stored []byte, secrets []string) error {
	v, err := decodeJSONValue(stored)
	if err != nil {
		return err
	}
	var texts []string
	var walk func(v any, key string) error
	walk = func(v any, key string) error {
		switch x := v.(type) {
		case map[string]any:
			for k, val := range x {
				texts = append(texts, k)
				if err := walk(val, k); err != nil {
					return err
				}
			}
		case []any:
			for _, val := range x {
				if err := walk(val, key); err != nil {
					return err
				}
			}
		case string:
			if key == "payload" || key == "data" {
				b, err := base64.StdEncoding.DecodeString(x)
				if err != nil {
					return fmt.Errorf("%s does not decode: %w", key, err)
				}
				x = string(b)
			}
			texts = append(texts, x)
		}
		return nil
	}
	if err := walk(v, ""); err != nil {
		return err
	}
	for _, t := range texts {
		t = macToken.ReplaceAllString(t, "\x00")
		for _, s := range secrets {
			if len(s) >= 4 && strings.Contains(t, s) {
				return fmt.Errorf("secret %q stored in %q", s, t)
			}
		}
	}
	return nil
}
