package mask

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unsafe"

	"github.com/airlock-sdk/airlock/internal/jsontext"
)

// maxJSONDepth bounds nesting; deeper documents are refused (ErrLimit).
const maxJSONDepth = 512

// JSON masks a JSON document and keeps its structure: object keys and
// string values are masked by the detectors, numbers too (a card stored as
// a number becomes a string token), and values at a field rule's JSON path
// are replaced whole. A duplicate key, invalid JSON, trailing data or a
// document above MaxValueBytes is an error and no output is returned.
// Masked values with the null strategy become null. Whitespace between
// tokens is not kept; escapes are normalised.
func (p *Policy) JSON(doc []byte) ([]byte, []Finding, error) {
	return p.maskJSON(doc, true)
}

// maskJSON is JSON; with memo, the texts found clean are not read again
// (jsonmemo.go).
func (p *Policy) maskJSON(doc []byte, memo bool) ([]byte, []Finding, error) {
	if p == nil {
		return doc, nil, nil
	}
	if len(doc) > p.e.maxVal {
		return nil, nil, fmt.Errorf("%w: document of %d bytes is above max_value_bytes %d", ErrLimit, len(doc), p.e.maxVal)
	}
	j := jsonMasker{p: p, in: doc, memo: &noMemo}
	if memo {
		j.memo = memoPool.Get().(*cleanMemo)
		defer j.memo.release()
	}
	j.out = make([]byte, 0, len(doc)+len(doc)/8)
	j.ws()
	if err := j.value(); err != nil {
		return nil, nil, err
	}
	j.ws()
	if j.pos != len(j.in) {
		return nil, nil, j.errf("data after the document")
	}
	j.flushLeaves()
	return j.out, j.tl.result(), nil
}

// jsonMasker parses a document (RFC 8259) and writes the masked copy in
// one pass.
type jsonMasker struct {
	p    *Policy
	in   []byte
	pos  int
	out  []byte
	path []pathElem // raw keys, for field rules
	show []pathElem // masked keys, for findings
	tl   tally
	sub  tally  // findings of one string, before they get their path
	sbuf []byte // decoded string with escapes
	// leaves are the members of the open containers (jsonleaves.go).
	leaves []jsonLeaf
	// joined and owner are maskLeafRun's buffers, reused run to run.
	joined []byte
	owner  []int32
	// scalarEnd is where the string or number value() read last ends, or
	// -1 when it read a container or a literal.
	scalarEnd int
	// memo holds the texts of the document found clean (jsonmemo.go).
	memo *cleanMemo
	// box numbers the container being read; boxes counts them.
	box, boxes int32
	// runIdx is joinLeaves' buffer of the leaves of one reading.
	runIdx []int
}

func (j *jsonMasker) errf(format string, args ...any) error {
	return fmt.Errorf("%w: json: %s at byte %d", ErrInput, fmt.Sprintf(format, args...), j.pos)
}

func (j *jsonMasker) ws() { j.pos = jsontext.SkipSpace(j.in, j.pos) }

// syntax turns an error of jsontext into one of the masker's, at the same
// offset.
func (j *jsonMasker) syntax(err error) error {
	var se *jsontext.SyntaxError
	if errors.As(err, &se) {
		j.pos = se.Offset
		return j.errf("%s", se.Msg)
	}
	if errors.Is(err, jsontext.ErrDepth) {
		return fmt.Errorf("%w: json nested deeper than %d", ErrLimit, maxJSONDepth)
	}
	return err
}

func (j *jsonMasker) value() error {
	j.scalarEnd = -1
	if len(j.path) > maxJSONDepth {
		return fmt.Errorf("%w: json nested deeper than %d", ErrLimit, maxJSONDepth)
	}
	if j.pos >= len(j.in) {
		return j.errf("unexpected end")
	}
	if len(j.p.fields) > 0 && len(j.path) > 0 {
		for _, f := range j.p.fields {
			if raw, ok := f.matchPath(j.path); ok {
				a := j.pos
				if err := j.skip(len(j.path)); err != nil {
					return err
				}
				j.out = j.p.fieldReplace(j.out, f, raw, j.in[a:j.pos], &j.tl)
				return nil
			}
		}
	}
	switch c := j.in[j.pos]; {
	case c == '{' || c == '[':
		outer := j.box
		j.boxes++
		j.box = j.boxes
		var err error
		if c == '{' {
			err = j.object()
		} else {
			err = j.array()
		}
		j.box = outer
		j.scalarEnd = -1
		return err
	case c == '"':
		s, err := j.str()
		if err != nil {
			return err
		}
		j.scalarEnd = j.pos
		if j.maskedWhole(s) {
			return nil
		}
		m, null, err := j.mask(s)
		if err != nil {
			return err
		}
		j.appendMasked(m, null)
		return nil
	case c == '-' || isDigit(c):
		n, err := j.num()
		if err != nil {
			return err
		}
		j.scalarEnd = j.pos
		if j.maskedWhole(n) {
			return nil
		}
		return j.number(n)
	}
	for _, lit := range []string{"true", "false", "null"} {
		if bytes.HasPrefix(j.in[j.pos:], []byte(lit)) {
			j.pos += len(lit)
			j.out = append(j.out, lit...)
			return nil
		}
	}
	return j.errf("unexpected %q", j.in[j.pos])
}

// secretKey returns the detector index when the current value sits under
// a key that names a secret.
func (j *jsonMasker) secretKey() int {
	if len(j.path) == 0 || j.path[len(j.path)-1].isIdx {
		return -1
	}
	return j.p.secretName(j.path[len(j.path)-1].key)
}

func (j *jsonMasker) appendMasked(m []byte, null bool) {
	if null {
		j.out = append(j.out, "null"...)
		return
	}
	j.out = appendJSONString(j.out, m)
}

func (j *jsonMasker) object() error {
	var keys []string // this object's keys, for duplicates
	var seen map[string]struct{}
	var seenOut map[string]struct{}
	if j.open('{', '}') {
		return nil
	}
	for first := true; ; first = false {
		j.ws()
		if j.pos >= len(j.in) || j.in[j.pos] != '"' {
			return j.errf("object key expected")
		}
		kb, err := j.str()
		if err != nil {
			return err
		}
		k := string(kb)
		dup := false
		if seen != nil {
			_, dup = seen[k]
		} else {
			for _, x := range keys {
				dup = dup || x == k
			}
		}
		if dup {
			return fmt.Errorf("%w: json: duplicate key at %s", ErrInput, genericPath(append(j.show, pathElem{key: "?"})))
		}
		mk, _, err := j.mask(kb)
		if err != nil {
			return err
		}
		if seen == nil && len(keys) < 16 {
			keys = append(keys, k)
		} else {
			if seen == nil {
				seen = make(map[string]struct{}, 32)
				for _, x := range keys {
					seen[x] = struct{}{}
				}
			}
			seen[k] = struct{}{}
		}
		if string(mk) != k { // a masked key could collide with another
			if seenOut == nil {
				seenOut = map[string]struct{}{}
			}
			if _, c := seenOut[string(mk)]; c {
				return fmt.Errorf("%w: json: two keys at %s are equal once masked", ErrInput, genericPath(j.show))
			}
			seenOut[string(mk)] = struct{}{}
		}
		if !first {
			j.out = append(j.out, ',')
		}
		j.out = appendJSONString(j.out, mk)
		j.ws()
		if j.pos >= len(j.in) || j.in[j.pos] != ':' {
			return j.errf("':' expected")
		}
		j.pos++
		j.out = append(j.out, ':')
		j.ws()
		in, start, n := j.pos, len(j.out), j.tl.n
		closed, err := j.member(pathElem{key: k}, pathElem{key: string(mk)}, "object", '}')
		if err != nil {
			return err
		}
		j.addLeaf(in, start, j.tl.n > n, closed)
		if closed {
			// Masked keys that collide with an unmasked key are caught here.
			for mk := range seenOut {
				if _, c := seen[mk]; c || contains(keys, mk) {
					return fmt.Errorf("%w: json: two keys at %s are equal once masked", ErrInput, genericPath(j.show))
				}
			}
			return nil
		}
	}
}

// maskedWhole masks v whole, and reports true, when it is the value of a
// key named like a secret.
func (j *jsonMasker) maskedWhole(v []byte) bool {
	i := j.secretKey()
	if i < 0 {
		return false
	}
	m, null := j.p.maskWhole(i, v, genericPath(j.show), &j.tl)
	j.appendMasked(m, null)
	return true
}

// open copies the opening bracket at j.pos and the white space after it,
// and reports whether the container is empty: then it copies its closing
// bracket too.
func (j *jsonMasker) open(opening, closing byte) (empty bool) {
	j.pos++
	j.out = append(j.out, opening)
	j.ws()
	if j.pos < len(j.in) && j.in[j.pos] == closing {
		j.pos++
		j.out = append(j.out, closing)
		return true
	}
	return false
}

// member masks the value of an object member or array element at path
// (shown in errors as show) and copies what follows it: a comma, or the
// container's closing bracket, when it reports closed. It fails when the
// input ends or has anything else there, inside the container what
// names.
func (j *jsonMasker) member(path, show pathElem, what string, closing byte) (closed bool, err error) {
	j.path = append(j.path, path)
	j.show = append(j.show, show)
	err = j.value()
	j.path = j.path[:len(j.path)-1]
	j.show = j.show[:len(j.show)-1]
	if err != nil {
		return false, err
	}
	j.ws()
	if j.pos >= len(j.in) {
		return false, j.errf("unexpected end in %s", what)
	}
	switch j.in[j.pos] {
	case ',':
		j.pos++
		return false, nil
	case closing:
		j.pos++
		j.out = append(j.out, closing)
		return true, nil
	}
	return false, j.errf("',' or '%c' expected", closing)
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func (j *jsonMasker) array() error {
	if j.open('[', ']') {
		return nil
	}
	for i := 0; ; i++ {
		if i > 0 {
			j.out = append(j.out, ',')
		}
		j.ws()
		at := pathElem{index: i, isIdx: true}
		in, start, n := j.pos, len(j.out), j.tl.n
		closed, err := j.member(at, at, "array", ']')
		if err != nil {
			return err
		}
		j.addLeaf(in, start, j.tl.n > n, closed)
		if closed {
			return nil
		}
	}
}

// str reads the string at j.pos and returns its decoded bytes. Without
// escapes they alias the input; with escapes they live in j.sbuf until the
// next call.
func (j *jsonMasker) str() ([]byte, error) {
	s, escaped, next, err := jsontext.ReadString(j.sbuf, j.in, j.pos)
	if err != nil {
		return nil, j.syntax(err)
	}
	if escaped {
		j.sbuf = s
	}
	j.pos = next
	return s, nil
}

// num reads a number, validating RFC 8259 grammar, and returns its text.
func (j *jsonMasker) num() ([]byte, error) {
	end, err := jsontext.NumberEnd(j.in, j.pos)
	if err != nil {
		return nil, j.syntax(err)
	}
	n := j.in[j.pos:end]
	j.pos = end
	return n, nil
}

// skip validates and passes over one value, for values a field rule
// replaces whole. Duplicate keys inside it do not matter.
func (j *jsonMasker) skip(depth int) error {
	end, err := jsontext.SkipValue(j.in, j.pos, maxJSONDepth-depth)
	if err != nil {
		return j.syntax(err)
	}
	j.pos = end
	return nil
}

// mask runs the detectors over one string of the document. The finding
// field (the generic path) is built only when something was found.
func (j *jsonMasker) mask(b []byte) ([]byte, bool, error) {
	if clean(j.memo.text, b) {
		return b, false, nil
	}
	j.sub.f = j.sub.f[:0]
	m, null, err := j.p.maskText(b, "", &j.sub)
	if err != nil || len(j.sub.f) == 0 {
		if err == nil {
			remember(j.memo.text, b)
		}
		return m, null, err
	}
	where := genericPath(j.show)
	for _, f := range j.sub.f {
		j.tl.add(f.Detector, where, f.Count)
	}
	return m, null, nil
}

func (j *jsonMasker) number(n []byte) error {
	if clean(j.memo.number, n) {
		j.out = append(j.out, n...)
		return nil
	}
	j.sub.f = j.sub.f[:0]
	m, null, changed, err := j.p.maskNumber(n, "", &j.sub)
	if err != nil {
		return err
	}
	if !changed && len(j.sub.f) == 0 {
		remember(j.memo.number, n)
	}
	if len(j.sub.f) > 0 {
		where := genericPath(j.show)
		for _, f := range j.sub.f {
			j.tl.add(f.Detector, where, f.Count)
		}
	}
	switch {
	case null:
		j.out = append(j.out, "null"...)
	case changed:
		j.out = appendJSONString(j.out, m)
	default:
		j.out = append(j.out, n...)
	}
	return nil
}

// maskNumber masks the text of a number, and also its plain decimal
// expansion when it is written with an exponent (4.111111111111111e15).
func (p *Policy) maskNumber(n []byte, field string, tl *tally) (out []byte, null, changed bool, err error) {
	m, null, err := p.maskText(n, field, tl)
	if err != nil {
		return nil, false, false, err
	}
	if !bytes.Equal(m, n) {
		return m, null, true, nil
	}
	if bytes.ContainsAny(n, "eE.") {
		if f, perr := strconv.ParseFloat(unsafe.String(unsafe.SliceData(n), len(n)), 64); perr == nil {
			plain := strconv.FormatFloat(f, 'f', -1, 64)
			if plain != string(n) && len(plain) <= 32 {
				var sub tally
				pm, pnull, err := p.maskText([]byte(plain), field, &sub)
				if err != nil {
					return nil, false, false, err
				}
				if len(sub.f) > 0 {
					for _, f := range sub.f {
						tl.add(f.Detector, f.Field, f.Count)
					}
					return pm, pnull, true, nil
				}
			}
		}
	}
	return m, false, false, nil
}

// fieldReplace replaces a whole JSON value selected by field rule f.
func (p *Policy) fieldReplace(dst []byte, f *fieldRule, where string, v json.RawMessage, tl *tally) []byte {
	st := p.e.strat[f.name]
	var text []byte
	switch {
	case len(v) > 0 && v[0] == '"':
		var s string
		if json.Unmarshal(v, &s) == nil {
			text = []byte(s)
		} else {
			text = v
		}
	case string(v) == "null":
		tl.add(f.name, where, 1)
		return append(dst, "null"...)
	default:
		var c bytes.Buffer
		if json.Compact(&c, v) == nil {
			text = c.Bytes()
		} else {
			text = v
		}
	}
	tl.add(f.name, where, 1)
	if st.kind == kindNull {
		return append(dst, "null"...)
	}
	return appendJSONString(dst, st.apply(nil, text))
}

// appendJSONString appends s as a JSON string, as encoding/json writes it
// with HTML escaping off. Invalid UTF-8 becomes U+FFFD.
func appendJSONString(dst, s []byte) []byte { return jsontext.AppendQuote(dst, s, false) }
