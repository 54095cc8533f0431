package tool_test

import (
	"context"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/protocols/tool"
)

type hiddenInner struct {
	Card string
	raw  []byte
}

type label string

// hiddenHolder has fields encoding/json writes and fields it does not
// (unexported, json:"-", an embedded unexported non-struct type).
type hiddenHolder struct {
	Name  string        `json:"name"`
	When  time.Time     `json:"when"`
	Inner *hiddenHolder `json:"inner,omitempty"`
	Skip  string        `json:"-"`
	note  string
	priv  *hiddenInner
	meta  map[string]any
	loop  *hiddenHolder
	label
}

// placeHidden puts text at a random place of a random nesting of
// hiddenHolder that encoding/json does not write.
func placeHidden(r *rand.Rand, text string, depth int) *hiddenHolder {
	h := &hiddenHolder{Name: "ann", When: time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600))}
	h.loop = h
	if depth > 0 && r.IntN(3) == 0 {
		h.Inner = placeHidden(r, text, depth-1)
		return h
	}
	switch r.IntN(6) {
	case 0:
		h.note = text
	case 1:
		h.Skip = text
	case 2:
		h.priv = &hiddenInner{Card: text}
	case 3:
		h.priv = &hiddenInner{raw: []byte(text)}
	case 4:
		h.meta = map[string]any{"k": []any{"x", text}}
	default:
		h.label = label(text)
	}
	return h
}

// readable is every string and []byte a program holding v can read,
// unexported fields included (fmt prints them, so may an agent runtime).
func readable(v reflect.Value, seen map[uintptr]bool, b *strings.Builder) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() || v.Kind() == reflect.Pointer && seen[v.Pointer()] {
			return
		}
		if v.Kind() == reflect.Pointer {
			seen[v.Pointer()] = true
		}
		readable(v.Elem(), seen, b)
	case reflect.String:
		b.WriteString(v.String() + " ")
	case reflect.Struct:
		for i := range v.NumField() {
			readable(v.Field(i), seen, b)
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			b.Write(v.Bytes())
			b.WriteByte(' ')
			return
		}
		for i := range v.Len() {
			readable(v.Index(i), seen, b)
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			readable(it.Key(), seen, b)
			readable(it.Value(), seen, b)
		}
	}
}

func readableText(v any) string {
	var b strings.Builder
	readable(reflect.ValueOf(v), map[uintptr]bool{}, &b)
	return b.String()
}

// TestHiddenFieldsNeverReachTheCallerUnmasked returns a card or an e-mail
// in a part of a nested result that encoding/json does not write (an
// unexported field, a json:"-" field, an embedded unexported type, a map
// or a []byte inside one): the masker reads the JSON form only, so the
// wrapped tool must withhold the result rather than hand the caller the
// value unmasked. A result with nothing to mask passes as it is, hidden
// fields and cycles through them included.
func TestHiddenFieldsNeverReachTheCallerUnmasked(t *testing.T) {
	f := newFixture(t, 0)
	r := rand.New(rand.NewPCG(9, 4))
	for i := range 300 {
		secret := []string{"4111 1111 1111 1111", "ada@example.com", "card 5500-0000-0000-0004 here"}[r.IntN(3)]
		clean := i%4 == 0
		text := secret
		if clean {
			text = "nothing to see"
		}
		want := placeHidden(r, text, 3)
		get := tool.Wrap("get_hidden", func(ctx context.Context, a getArgs) (*hiddenHolder, error) { return want, nil })
		got, err := get(f.ctx, getArgs{ID: i})
		if clean {
			if err != nil || got != want {
				t.Fatalf("case %d: a clean result was changed or refused: %v", i, err)
			}
			continue
		}
		if err == nil && strings.Contains(readableText(got), secret) {
			t.Fatalf("case %d: %q reached the caller in a hidden field: %s", i, secret, readableText(got))
		}
	}
	// What encoding/json writes is masked, not withheld.
	get := tool.Wrap("get_hidden", func(ctx context.Context, a getArgs) (*hiddenHolder, error) {
		return &hiddenHolder{Name: "ada@example.com", note: "internal"}, nil
	})
	got, err := get(f.ctx, getArgs{ID: 1})
	if err != nil || strings.Contains(got.Name, "ada@") {
		t.Fatalf("shown field: %v %+v", err, got)
	}
}

type blobPart struct{ Blob []byte }

// withEmbedded promotes blobPart's Blob: encoding/json writes it (as
// base64) although the embedded type is unexported.
type withEmbedded struct{ blobPart }

// TestBytesPromotedFromAnUnexportedEmbeddedStruct: a []byte promoted
// from an embedded struct of unexported type is written by encoding/json
// as base64, which the masker cannot read; the result must be withheld.
func TestBytesPromotedFromAnUnexportedEmbeddedStruct(t *testing.T) {
	f := newFixture(t, 0)
	get := tool.Wrap("get_embedded", func(ctx context.Context, a getArgs) (withEmbedded, error) {
		return withEmbedded{blobPart{Blob: []byte("4111 1111 1111 1111")}}, nil
	})
	got, err := get(f.ctx, getArgs{ID: 1})
	if err == nil && strings.Contains(string(got.Blob), "4111") {
		t.Fatalf("the card reached the caller: %q", got.Blob)
	}
}
