package tool

import (
	"encoding/json"
	"errors"
	"reflect"

	"github.com/airlock-sdk/airlock/mask"
)

// errBinaryMasked withholds a result holding bytes that masking would
// change: encoding/json writes a []byte as base64, which the JSON masker
// cannot read, so a card number in a []byte field would reach the model.
var errBinaryMasked = errors.New("the result holds bytes ([]byte) with values masking would change; return them as a string")

// rawMessage is json.RawMessage's type: its bytes are JSON the masker reads.
var rawMessage = reflect.TypeFor[json.RawMessage]()

// checkBytes returns errBinaryMasked when a []byte that v holds, at any
// depth (struct fields encoding/json writes, pointers, interfaces, slices,
// arrays, map values), reads as text masking would change.
func checkBytes(p *mask.Policy, v reflect.Value, depth int) error {
	if depth > 1000 {
		return errBinaryMasked // deeper than encoding/json goes: not judged
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return checkBytes(p, v.Elem(), depth+1)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			if t.Field(i).IsExported() {
				if err := checkBytes(p, v.Field(i), depth+1); err != nil {
					return err
				}
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 && v.Type() != rawMessage {
			return checkText(p, v.Bytes())
		}
		for i := range v.Len() {
			if err := checkBytes(p, v.Index(i), depth+1); err != nil {
				return err
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if err := checkBytes(p, it.Value(), depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkText returns errBinaryMasked when masking b as text would change it.
func checkText(p *mask.Policy, b []byte) error {
	out, _, err := p.Value("", string(b))
	if err != nil || out != string(b) {
		return errBinaryMasked
	}
	return nil
}
