package packed

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// workDone is Unpack's result on data, with the work it counted and the
// budget it charged.
type workDone struct{ work, spent int }

func unpackWork(data []byte, limit int, visit func([]byte) bool) (workDone, error) {
	u := unpacker{budget: limit, visit: visit, b: newBounds(len(data))}
	err := u.walk(data, 0)
	if err == nil && !u.done {
		err = u.b.pending
	}
	return workDone{u.b.work, u.b.spent}, err
}

// TestUnpackWorkBounded: on every adversarial family, Unpack's work
// (bytes walked, visited, hashed, inflated, compressed bytes read:
// counted, not timed) stays within a constant times the data and the
// budget; on one short unit repeated (the denial of service: "a-a-a-…"
// and its kin, which spent the whole budget on one output over and
// over), within a constant times the data alone, whatever the budget
// (MCP's is 8 MiB); and on runs of an encoded alphabet read from each of
// their offsets, too.
func TestUnpackWorkBounded(t *testing.T) {
	never := func([]byte) bool { return false }
	units := newAdvUnits(rand.New(rand.NewPCG(3, 1)))
	for _, n := range []int{4 << 10, 16 << 10} {
		for _, in := range adversarialInputs(units, rand.New(rand.NewPCG(3, uint64(n))), n) {
			const limit = 128 << 10
			w, _ := unpackWork(in.data, limit, never)
			if max := workPerByte*n + workSlack + workPerSpent*limit; w.work > max {
				t.Errorf("%s, %d bytes: %d units of work, more than %d", in.family, n, w.work, max)
			}
		}
	}
	for _, n := range []int{4 << 10, 16 << 10, 64 << 10} {
		for _, unit := range []string{"a-", "a-b_", "a/", "a+", "-", "A", "AB", "x\x9c", "\xff", "ab+/"} {
			data := repeatTo([]byte(unit), n)
			w, err := unpackWork(data, 8<<20, never)
			if max := 64*n + 2<<20; w.work > max {
				t.Errorf("%q repeated, %d bytes: %d units of work (%v), more than %d", unit, n, w.work, err, max)
			}
		}
		for _, unit := range []string{"/+", "_H4sI", "/H4sIAAAA", "+eJ", "_UEsDBA"} {
			data := repeatTo([]byte(unit), n)
			w, err := unpackWork(data, 8<<20, never)
			if max := workPerByte*n + workSlack + 4*n; w.work > max {
				t.Errorf("%q repeated, %d bytes: %d units of work (%v), more than %d", unit, n, w.work, err, max)
			}
		}
	}
}

// TestUnpackSearchesPastRepeats: once the outputs that start or end
// others' are left unsearched, the walk goes on: a credential packed
// after them is found, and without one Unpack ends in ErrOpaque.
func TestUnpackSearchesPastRepeats(t *testing.T) {
	const secret = "upstream-secret-abcdef"
	pad := strings.Repeat("a-b_", 8<<10)
	for _, limit := range []int{1 << 20, 8 << 20} {
		with := []byte(pad + ` {"file":"` + hex.EncodeToString(gz("auth "+secret+" and more text")) + `"} ` + pad)
		found := false
		w, err := unpackWork(with, limit, func(b []byte) bool { found = bytes.Contains(b, []byte(secret)); return found })
		if !found || err != nil {
			t.Errorf("limit %d: the credential after the repeats not found (%v)", limit, err)
		}
		if w.work > 64*len(with)+2<<20 {
			t.Errorf("limit %d: %d units of work", limit, w.work)
		}
		err = Unpack([]byte(pad+" x "+pad), limit, func([]byte) bool { return false })
		if !errors.Is(err, ErrOpaque) {
			t.Errorf("limit %d: the repeats left unsearched, yet %v", limit, err)
		}
	}
}
