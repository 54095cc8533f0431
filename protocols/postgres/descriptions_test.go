package postgres

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

// randomDescription encodes a RowDescription of random columns.
func randomDescription(rng *rand.Rand) []byte {
	var rd pgproto3.RowDescription
	for i := range rng.IntN(6) {
		rd.Fields = append(rd.Fields, pgproto3.FieldDescription{
			Name:         fmt.Appendf(nil, "c%d_%d", i, rng.IntN(50)),
			TableOID:     uint32(rng.IntN(3)),
			DataTypeOID:  []uint32{23, 25, 17, 20, 1700}[rng.IntN(5)],
			DataTypeSize: int16(rng.IntN(9) - 1),
			TypeModifier: -1,
			Format:       int16(rng.IntN(2)),
		})
	}
	raw, _ := rd.Encode(nil)
	return raw[5:]
}

// TestDescriptionsDecodeAsPgproto3 compares the remembered decoding of
// random RowDescriptions with pgproto3's, on first sight and when
// remembered, and checks that equal bytes share one value, different
// bytes never do, and the memory stays bounded.
func TestDescriptionsDecodeAsPgproto3(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	var d descriptions
	seen := map[string]*portalInfo{}
	for range 5000 {
		body := randomDescription(rng)
		got, err := d.decode(body)
		if err != nil {
			t.Fatal(err)
		}
		var want pgproto3.RowDescription
		if err := want.Decode(body); err != nil {
			t.Fatal(err)
		}
		if len(got.fields) != len(want.Fields) || len(got.formats) != len(want.Fields) {
			t.Fatalf("%d fields, %d formats, want %d", len(got.fields), len(got.formats), len(want.Fields))
		}
		for i, f := range want.Fields {
			if !reflect.DeepEqual(got.fields[i], f) || got.formats[i] != f.Format {
				t.Fatalf("column %d: %+v format %d, want %+v", i, got.fields[i], got.formats[i], f)
			}
		}
		again, _ := d.decode(body)
		if again != got {
			t.Fatal("a remembered description was decoded again")
		}
		for b, p := range seen {
			if b != string(body) && p == got {
				t.Fatal("two different descriptions share one value")
			}
		}
		seen[string(body)] = got
		if len(d) > maxDescriptions {
			t.Fatalf("%d descriptions remembered, bound %d", len(d), maxDescriptions)
		}
	}
}

// TestDescriptionsRejectMalformed checks that a malformed RowDescription
// is an error, and is not remembered.
func TestDescriptionsRejectMalformed(t *testing.T) {
	t.Parallel()
	var d descriptions
	for _, body := range [][]byte{{0}, {0, 2, 'a'}, {0, 1, 'a', 0, 1, 2}} {
		if _, err := d.decode(body); err == nil {
			t.Fatalf("%x decoded", body)
		}
	}
	if len(d) != 0 {
		t.Fatalf("%d malformed descriptions remembered", len(d))
	}
}

// TestBoundKeepsOnlyTheSameDescription checks that a BindComplete reuses
// the portal's description only when it states the same columns (the
// same slice) in the same formats.
func TestBoundKeepsOnlyTheSameDescription(t *testing.T) {
	t.Parallel()
	bs := &backendState{portals: map[string]*portalInfo{}}
	a := []pgproto3.FieldDescription{{Name: []byte("a")}}
	b := []pgproto3.FieldDescription{{Name: []byte("a")}}
	bs.bound("", a, []int16{1})
	first := bs.portals[""]
	bs.bound("", a, []int16{1})
	if bs.portals[""] != first {
		t.Fatal("the same description was not kept")
	}
	for _, tc := range []struct {
		fields  []pgproto3.FieldDescription
		formats []int16
	}{{a, []int16{0}}, {a, nil}, {b, []int16{1}}, {nil, []int16{1}}} {
		bs.bound("", a, []int16{1})
		kept := bs.portals[""]
		bs.bound("", tc.fields, tc.formats)
		p := bs.portals[""]
		if p == kept || !sameFields(p.fields, tc.fields) || !reflect.DeepEqual(p.formats, tc.formats) {
			t.Fatalf("bound(%v, %v) kept %+v", tc.fields, tc.formats, kept)
		}
	}
}
