package tool_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/protocols/tool"
)

type bytesHolder struct {
	Blob  []byte          `json:"blob"`
	Ptr   *[]byte         `json:"ptr"`
	Any   any             `json:"any"`
	List  [][]byte        `json:"list"`
	Map   map[string]any  `json:"map"`
	Inner *bytesHolder    `json:"inner"`
	Raw   json.RawMessage `json:"raw"`
}

// placeBytes puts b somewhere in a random nesting of bytesHolder.
func placeBytes(r *rand.Rand, b []byte, depth int) *bytesHolder {
	h := &bytesHolder{Raw: json.RawMessage(`{"ok":1}`)}
	if depth > 0 && r.IntN(3) == 0 {
		h.Inner = placeBytes(r, b, depth-1)
		return h
	}
	switch r.IntN(5) {
	case 0:
		h.Blob = b
	case 1:
		h.Ptr = &b
	case 2:
		h.Any = b
	case 3:
		h.List = [][]byte{[]byte("x"), b}
	default:
		h.Map = map[string]any{"k": []any{"y", b}}
	}
	return h
}

// shown is what a program holding the result can read: every []byte as
// text, wherever it sits.
func shown(t *testing.T, h *bytesHolder) string {
	t.Helper()
	var b strings.Builder
	var walk func(h *bytesHolder)
	walk = func(h *bytesHolder) {
		if h == nil {
			return
		}
		b.Write(h.Blob)
		if h.Ptr != nil {
			b.Write(*h.Ptr)
		}
		fmt.Fprintf(&b, "%s %s %s", h.Any, h.List, h.Map)
		walk(h.Inner)
	}
	walk(h)
	return b.String()
}

// TestBytesInResultsNeverReachTheModelUnmasked returns a card or an
// e-mail in a []byte at a random place of a nested result (a field, a
// pointer, an interface, a slice, a map, a nested struct): the wrapped
// tool must withhold the result (encoding/json would show the masker only
// base64), and a result whose bytes hold nothing to mask must pass as it
// is.
func TestBytesInResultsNeverReachTheModelUnmasked(t *testing.T) {
	f := newFixture(t, 0)
	r := rand.New(rand.NewPCG(5, 8))
	for i := range 200 {
		secret := []string{"4111 1111 1111 1111", "ada@example.com", "card 5500-0000-0000-0004 here"}[r.IntN(3)]
		clean := i%4 == 0
		text := secret
		if clean {
			text = "nothing to see"
		}
		want := placeBytes(r, []byte(text), 3)
		get := tool.Wrap("get_blob", func(ctx context.Context, a getArgs) (*bytesHolder, error) { return want, nil })
		got, err := get(f.ctx, getArgs{ID: i})
		if clean {
			if err != nil || !strings.Contains(shown(t, got), text) {
				t.Fatalf("case %d: a clean result was changed or refused: %v", i, err)
			}
			continue
		}
		if err == nil && strings.Contains(shown(t, got), secret) {
			t.Fatalf("case %d: %q reached the model in a []byte: %s", i, secret, shown(t, got))
		}
	}
}

// TestPackedDataInResultsNeverReachTheModelUnmasked returns a card or an
// e-mail inside a gzip, zlib or zip file or raw deflate, as a []byte at a random place
// of a nested result or as its base64 or hex in a string: the wrapped
// tool withholds it (the masker reads the bytes or their encoding, the
// caller unpacks them).
func TestPackedDataInResultsNeverReachTheModelUnmasked(t *testing.T) {
	f := newFixture(t, 0)
	r := rand.New(rand.NewPCG(7, 9))
	through := 0
	for i := range 120 {
		secret := []string{"4111 1111 1111 1111", "ada@example.com"}[r.IntN(2)]
		names := []string{"gzip", "zlib", "zip", "deflate"}
		name := names[r.IntN(len(names))]
		file := packings[name]("name,value\nada," + secret + "\n")
		var want *bytesHolder
		switch r.IntN(4) {
		case 0:
			want = placeBytes(r, file, 3)
		case 3:
			// The bytes as the characters of their values.
			lat := make([]rune, len(file))
			for i, c := range file {
				lat[i] = rune(c)
			}
			want = &bytesHolder{Any: "file: " + string(lat)}
		case 1:
			want = &bytesHolder{Map: map[string]any{"file": base64.StdEncoding.EncodeToString(file)}}
		default:
			want = &bytesHolder{Any: "dump " + hex.EncodeToString(file)}
		}
		get := tool.Wrap("get_export", func(ctx context.Context, a getArgs) (*bytesHolder, error) { return want, nil })
		got, err := get(f.ctx, getArgs{ID: i})
		if err != nil && !strings.Contains(err.Error(), "masking failed") {
			t.Fatalf("case %d: %v", i, err)
		}
		if err == nil && unpacksTo(got, secret) {
			through++
			t.Errorf("case %d: %q in a %s file reached the model", i, secret, name)
		}
	}
	t.Logf("%d of 120 packed results reached the model", through)
}
