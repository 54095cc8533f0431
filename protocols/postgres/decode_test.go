package postgres

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

// randomBindBody is the body of a Bind (what follows the type and the
// length) with random names, format codes and parameters (NULL, empty,
// short), then, for most, damaged: cut short, bytes changed, counts and
// lengths made to lie, bytes added.
func randomBindBody(r *rand.Rand) []byte {
	m := pgproto3.Bind{DestinationPortal: []string{"", "p", "portal_1"}[r.IntN(3)], PreparedStatement: []string{"", "P0_1", "s"}[r.IntN(3)]}
	for range r.IntN(4) {
		m.ParameterFormatCodes = append(m.ParameterFormatCodes, int16(r.IntN(3)-1))
	}
	for range r.IntN(5) {
		switch r.IntN(4) {
		case 0:
			m.Parameters = append(m.Parameters, nil)
		case 1:
			m.Parameters = append(m.Parameters, []byte{})
		default:
			v := make([]byte, 1+r.IntN(8))
			for i := range v {
				v[i] = byte(r.IntN(256))
			}
			m.Parameters = append(m.Parameters, v)
		}
	}
	for range r.IntN(4) {
		m.ResultFormatCodes = append(m.ResultFormatCodes, int16(r.IntN(3)-1))
	}
	msg, err := m.Encode(nil)
	if err != nil {
		panic(err)
	}
	body := msg[5:]
	return damage(r, body)
}

// damage changes a valid body at random, or leaves it (one time in four).
func damage(r *rand.Rand, body []byte) []byte {
	body = slices.Clone(body)
	switch r.IntN(8) {
	case 0, 1:
		return body
	case 2:
		return body[:r.IntN(len(body)+1)]
	case 3:
		body = append(body, byte(r.IntN(256)))
	case 4:
		// A count or a length that lies: a 0xff or 0x00 anywhere.
		if len(body) > 0 {
			body[r.IntN(len(body))] = []byte{0, 0xff, 0x7f, 0x80}[r.IntN(4)]
		}
	default:
		for range 1 + r.IntN(3) {
			if len(body) > 0 {
				body[r.IntN(len(body))] = byte(r.IntN(256))
			}
		}
	}
	return body
}

// sameError: both nil, or the same text and the same io.EOF-ness (a
// session's end reason is the text; io.EOF reads as the client leaving).
func sameError(a, b error) bool {
	if (a == nil) != (b == nil) {
		return false
	}
	return a == nil || a.Error() == b.Error() && errors.Is(a, io.EOF) == errors.Is(b, io.EOF)
}

// TestDecodeBindOracle compares decodeBind, into one Bind reused across
// messages as the batch reuses it, with pgproto3's Bind.Decode over
// generated bodies, valid and damaged: same error, and on success the same
// names, format codes and parameters (NULL stays nil, an empty value
// stays empty and not NULL).
func TestDecodeBindOracle(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 5))
	var reused pgproto3.Bind
	valid := 0
	for i := range 10000 {
		body := randomBindBody(r)
		var want pgproto3.Bind
		werr := want.Decode(body)
		gerr := decodeBind(&reused, body)
		if !sameError(gerr, werr) {
			t.Fatalf("body %d %x: error %v, pgproto3 %v", i, body, gerr, werr)
		}
		if werr != nil {
			continue
		}
		valid++
		got := reused
		if got.DestinationPortal != want.DestinationPortal || got.PreparedStatement != want.PreparedStatement ||
			!slices.Equal(got.ParameterFormatCodes, want.ParameterFormatCodes) || !slices.Equal(got.ResultFormatCodes, want.ResultFormatCodes) ||
			len(got.Parameters) != len(want.Parameters) {
			t.Fatalf("body %d %x: got %+v, pgproto3 %+v", i, body, got, want)
		}
		for j := range want.Parameters {
			if (got.Parameters[j] == nil) != (want.Parameters[j] == nil) || !bytes.Equal(got.Parameters[j], want.Parameters[j]) {
				t.Fatalf("body %d %x: parameter %d %q (nil %v), pgproto3 %q (nil %v)", i, body, j,
					got.Parameters[j], got.Parameters[j] == nil, want.Parameters[j], want.Parameters[j] == nil)
			}
		}
		clear(reused.Parameters)
	}
	if valid < 2500 {
		t.Fatalf("only %d valid bodies", valid)
	}
}

// TestDecodeExecuteOracle compares decodeExecute with pgproto3's
// Execute.Decode over generated bodies, valid and damaged.
func TestDecodeExecuteOracle(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 17))
	valid := 0
	for i := range 30000 {
		msg, err := (&pgproto3.Execute{Portal: []string{"", "p", "c1"}[r.IntN(3)], MaxRows: r.Uint32N(3) * r.Uint32()}).Encode(nil)
		if err != nil {
			t.Fatal(err)
		}
		body := damage(r, msg[5:])
		var want, got pgproto3.Execute
		werr := want.Decode(body)
		gerr := decodeExecute(&got, body)
		if !sameError(gerr, werr) {
			t.Fatalf("body %d %x: error %v, pgproto3 %v", i, body, gerr, werr)
		}
		if werr == nil {
			valid++
			if got != want {
				t.Fatalf("body %d %x: got %+v, pgproto3 %+v", i, body, got, want)
			}
		}
	}
	if valid < 7500 {
		t.Fatalf("only %d valid bodies", valid)
	}
}
