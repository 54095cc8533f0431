package tool

import (
	"encoding"
	"encoding/json"
	"errors"
	"reflect"

	"github.com/airlock-sdk/airlock/mask"
)

// errBinaryMasked withholds a result holding bytes that masking would
// change: encoding/json writes a []byte as base64, which the JSON masker
// cannot read, so a card number in a []byte field would reach the model.
var errBinaryMasked = errors.New("the result holds bytes ([]byte) with values masking would change; return them as a string")

// errHiddenMasked withholds a result holding, where its JSON form does not
// show it (an unexported or json:"-" field), a value masking would change:
// the masker reads the JSON form, the caller gets the Go value.
var errHiddenMasked = errors.New(`the result holds values its JSON form does not show (unexported or json:"-" fields) that masking would change; return them in exported fields`)

// errPackedMasked withholds a result holding packed data (a gzip, zip or
// xlsx file, a PDF; see internal/packed) in a []byte or in the base64 or
// hex text of a string: the masker reads the bytes or their encoding, the
// caller unpacks what they hold.
var errPackedMasked = errors.New("the result holds compressed or archived data that masking cannot read; return its content as text")

// rawMessage is json.RawMessage's type: its bytes are JSON the masker reads.
var rawMessage = reflect.TypeFor[json.RawMessage]()

// checkBytes returns errBinaryMasked when a []byte that v holds, at any
// depth (struct fields encoding/json writes, embedded structs included,
// pointers, interfaces, slices, arrays, map values), reads as text masking
// would change, and errHiddenMasked when a string or []byte in a part of v
// that encoding/json does not write (unexported and json:"-" fields, at
// any depth) does.
func checkBytes(p *mask.Policy, v reflect.Value, depth int) error {
	w := resultWalker{p: p}
	return w.check(v, depth, false)
}

// resultWalker walks a result for checkBytes.
type resultWalker struct {
	p *mask.Policy
	// seen are the pointers followed in hidden parts, where cycles are
	// allowed (encoding/json never follows them).
	seen map[uintptr]bool
}

// marshalers are the interfaces through which a type writes its own JSON
// form: the masker reads that form, and what the type keeps hidden (a
// time.Time's location) is its own.
var marshalers = []reflect.Type{reflect.TypeFor[json.Marshaler](), reflect.TypeFor[encoding.TextMarshaler]()}

// marshalsItself reports whether t writes its own JSON form.
func marshalsItself(t reflect.Type) bool {
	for _, m := range marshalers {
		if t.Implements(m) || reflect.PointerTo(t).Implements(m) {
			return true
		}
	}
	return false
}

func (w *resultWalker) check(v reflect.Value, depth int, hidden bool) error {
	if depth > 1000 {
		return errBinaryMasked // deeper than encoding/json goes: not judged
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		if hidden && v.Kind() == reflect.Pointer {
			if w.seen[v.Pointer()] {
				return nil
			}
			if w.seen == nil {
				w.seen = map[uintptr]bool{}
			}
			w.seen[v.Pointer()] = true
		}
		return w.check(v.Elem(), depth+1, hidden)
	case reflect.String:
		if hidden {
			return checkText(w.p, []byte(v.String()), errHiddenMasked)
		}
	case reflect.Struct:
		t := v.Type()
		own := !hidden && marshalsItself(t)
		for i := range t.NumField() {
			shown := shownByJSON(t.Field(i))
			if own && !shown {
				continue
			}
			if err := w.check(v.Field(i), depth+1, hidden || !shown); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			switch {
			case hidden:
				return checkText(w.p, v.Bytes(), errHiddenMasked)
			case v.Type() != rawMessage:
				return checkText(w.p, v.Bytes(), errBinaryMasked)
			}
			return nil
		}
		for i := range v.Len() {
			if err := w.check(v.Index(i), depth+1, hidden); err != nil {
				return err
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if hidden {
				if err := w.check(it.Key(), depth+1, hidden); err != nil {
					return err
				}
			}
			if err := w.check(it.Value(), depth+1, hidden); err != nil {
				return err
			}
		}
	}
	return nil
}

// shownByJSON reports whether encoding/json writes struct field f (or,
// for an embedded struct, the fields it promotes): exported fields and
// embedded structs, unless tagged "-".
func shownByJSON(f reflect.StructField) bool {
	if f.Tag.Get("json") == "-" {
		return false
	}
	if f.Anonymous {
		t := f.Type
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		return f.IsExported() || t.Kind() == reflect.Struct
	}
	return f.IsExported()
}

// checkText returns errMasked when masking b as text would change it.
func checkText(p *mask.Policy, b []byte, errMasked error) error {
	out, _, err := p.Value("", string(b))
	if err != nil || out != string(b) {
		return errMasked
	}
	return nil
}
