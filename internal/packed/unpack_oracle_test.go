package packed

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// oracleInputs are random bodies holding a credential packed at a random
// offset, in every format Unpack reads (gzip, zlib, raw deflate, zip,
// bzip2-free nestings, a PDF stream, and the base64 or hex of each), with
// random periodic padding (short units repeated, as they are, in base64,
// with rare changes) and random bytes or text around it.
func oracleInputs(r *rand.Rand, secret string, count int) [][]byte {
	payload := "auth Bearer " + secret + " and the rest of the line\n"
	packs := []func() []byte{
		func() []byte { return gz(payload) },
		func() []byte { return zl(payload) },
		func() []byte { return deflated(payload) },
		func() []byte { return zipOf(payload) },
		func() []byte { return tarOf("x.deflate", deflated(payload)) },
		func() []byte { return gz(string(tarOf("x.gz", gz(payload)))) },
		func() []byte { return zl(string(deflated(payload))) },
		func() []byte {
			return []byte("%PDF-1.7\n<< /Filter /AHx >>\nstream\n" + hex.EncodeToString([]byte(payload)) + ">\nendstream\n")
		},
		func() []byte { return deflated(strings.Repeat("a-", r.IntN(200)) + payload) },
	}
	encs := []func([]byte) []byte{
		func(b []byte) []byte { return b },
		func(b []byte) []byte { return []byte(base64.StdEncoding.EncodeToString(b)) },
		func(b []byte) []byte { return []byte(base64.RawURLEncoding.EncodeToString(b)) },
		func(b []byte) []byte { return []byte(hex.EncodeToString(b)) },
	}
	const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/"
	padding := func() []byte {
		n := r.IntN(3000)
		var unit []byte
		switch r.IntN(4) {
		case 0:
			unit = []byte([]string{"a-", "a-b_", "a/", "-", "ab", "x\x9c", "\xff"}[r.IntN(7)])
		case 1:
			unit = make([]byte, 1+r.IntN(16))
			for i := range unit {
				unit[i] = b64[r.IntN(len(b64))]
			}
		case 2:
			unit = make([]byte, 1+r.IntN(16))
			for i := range unit {
				unit[i] = byte(r.Uint32())
			}
		default:
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(0x20 + r.IntN(0x5f))
				if r.IntN(3) == 0 {
					b[i] = byte(r.Uint32())
				}
			}
			return b
		}
		b := repeatTo(unit, n+1)
		if r.IntN(3) == 0 {
			b = []byte(base64.StdEncoding.EncodeToString(b))
		}
		for k := r.IntN(4); k > 0; k-- {
			b[r.IntN(len(b))] = byte(r.Uint32())
		}
		return b
	}
	var out [][]byte
	// The same stream, nested, repeated (its layer replayed), with the
	// credential after the repeats or not at all.
	other := "nothing to see here, only text of a line and another line\n"
	nests := []func() []byte{
		func() []byte { return gz(string(gz(other))) },
		func() []byte { return gz(string(tarOf("x.gz", gz(other)))) },
		func() []byte { return zl(string(deflated(strings.Repeat(other, 1+r.IntN(4))))) },
		func() []byte { return zipOf(string(gz(other))) },
	}
	for range count / 4 {
		var b []byte
		unit := nests[r.IntN(len(nests))]()
		for k := 1 + r.IntN(40); k > 0; k-- {
			b = append(b, unit...)
			b = append(b, "\x00\x01 "[:r.IntN(3)]...)
		}
		if r.IntN(2) == 0 {
			b = append(b, packs[r.IntN(len(packs))]()...)
		}
		out = append(out, b)
	}
	for range count {
		var b []byte
		b = append(b, padding()...)
		b = append(b, "\"=: \x00"[r.IntN(5)])
		b = append(b, encs[r.IntN(len(encs))](packs[r.IntN(len(packs))]())...)
		b = append(b, "\"=: \x00"[r.IntN(5)])
		b = append(b, padding()...)
		out = append(out, b)
	}
	return out
}

// TestUnpackAgreesWithOld: on generated bodies with a credential packed
// in them among periodic padding, Unpack finds the credential wherever
// Unpack as it was (oldUnpacker) found it, and where that ended in
// ErrOpaque, Unpack found it or ends in ErrOpaque too; with a small
// budget as well, where the replays of remembered layers decide.
func TestUnpackAgreesWithOld(t *testing.T) {
	const secret = "upstream-secret-abcdef"
	r := rand.New(rand.NewPCG(23, 5))
	found, opaque, capped := 0, 0, 0
	for n, data := range oracleInputs(r, secret, 300) {
		for _, limit := range []int{24 << 10, 6 << 10, 2 << 10} {
			finds := func(b []byte) bool { return bytes.Contains(b, []byte(secret)) }
			oldHit, newHit := false, false
			_, oerr := unpackOld(data, limit, func(b []byte) bool { oldHit = finds(b); return oldHit })
			nerr := Unpack(data, limit, func(b []byte) bool { newHit = finds(b); return newHit })
			if oldHit && !newHit {
				t.Fatalf("input %d (limit %d, %.80q…): the old walk found the credential, Unpack did not (%v)", n, limit, data, nerr)
			}
			if errors.Is(oerr, ErrOpaque) && !newHit && !errors.Is(nerr, ErrOpaque) {
				t.Fatalf("input %d (limit %d, %.80q…): the old walk ended in %v, Unpack in %v", n, limit, data, oerr, nerr)
			}
			if (oerr != nil) != (nerr != nil) && !newHit && !oldHit {
				// More opaque than the old walk: only by the work bounds.
				capped++
				if !strings.Contains(nerr.Error(), "allow") {
					t.Fatalf("input %d (limit %d, %.80q…): the old walk ended in %v, Unpack in %v", n, limit, data, oerr, nerr)
				}
			}
			if oldHit {
				found++
			}
			if oerr != nil {
				opaque++
			}
		}
	}
	t.Logf("%d found, %d opaque, %d opaque by the work bounds alone", found, opaque, capped)
	if found < 300 || opaque < 50 {
		t.Fatalf("the inputs are too easy: %d found, %d opaque", found, opaque)
	}
}
