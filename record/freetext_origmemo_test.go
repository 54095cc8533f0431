package record

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
)

// freeTextAsItCameOld is freeTextAsItCame as it was before the scan
// memory kept the originals (see memoOriginal): each original is searched
// on every event. It is the oracle of the differential test below.
func (r *redactor) freeTextAsItCameOld(orig, e *gate.Event, b []byte, gaps *textGaps, originals []string, memo *scanMemo) ([]string, error) {
	if e.Request == orig.Request {
		return r.freeTextPieces(orig, b, gaps.list(), memo), nil
	}
	sp := scratchPool.Get().(*[]byte)
	defer scratchPool.Put(sp)
	if orig.Request != nil && e.Request.Command != orig.Request.Command || mayStartPEM(b, originals) {
		ob, _, err := appendEventMemo((*sp)[:0], orig, gaps, nil)
		if err != nil {
			return nil, err
		}
		*sp = ob
		return r.freeTextPieces(orig, ob, gaps.list(), memo), nil
	}
	found := r.freeTextPieces(orig, b, gaps.list(), memo)
	json := freeText{names: r.names, filter: r.nameFilter, json: true}
	q := *sp
	for _, v := range originals {
		q = appendString(q[:0], v)
		found = json.scan(found, q)
	}
	*sp = q
	return found, nil
}

// perturbOriginals returns originals changed as a session's next request
// may change them, or as an attacker would: the same (fresh copies), one
// value changed (a credential, a placeholder, text, a near copy), two
// swapped, one more or one fewer, empty values, values past the memory's
// bounds.
func (g textGen) perturbOriginals(originals []string) []string {
	out := make([]string, len(originals))
	for i, v := range originals {
		out[i] = strings.Clone(v)
	}
	switch g.rng.IntN(9) {
	case 0, 1, 2: // the same values
	case 3:
		if len(out) > 0 {
			i := g.rng.IntN(len(out))
			out[i] = g.pick(g.credential(), g.secret(), g.text(), "", "Bearer "+g.secret(), out[i]+"x", "x"+out[i])
		}
	case 4:
		if len(out) > 1 {
			i, j := g.rng.IntN(len(out)), g.rng.IntN(len(out))
			out[i], out[j] = out[j], out[i]
		}
	case 5:
		out = append(out, g.credential())
	case 6:
		if len(out) > 0 {
			out = out[:len(out)-1]
		}
	case 7:
		out = append(out, "", "Bearer "+g.secret()+strings.Repeat("a", g.rng.IntN(3)*2000))
	default:
		for range 20 { // past maxMemoOriginals
			out = append(out, "Bearer "+g.secret())
		}
	}
	return out
}

// With the scan memory, the originals of a session's events yield what
// the oracle, which searches each of them, finds, in the same order:
// over sequences of generated requests whose originals repeat, change a
// little, move, grow past the memory's bounds.
func TestOriginalsMemoMatchesOracle(t *testing.T) {
	r := &redactor{key: []byte("0123456789abcdef0123456789abcdef"), names: mask.CompileSecretNames(nil), nameFilter: newNameFilter(nil)}
	g := textGen{rng: rand.New(rand.NewPCG(19, 23))}
	var memos scanMemos
	hits := 0
	for range 300 {
		orig := g.rewrittenEvent()
		e := orig
		req := *orig.Request
		_, originals, _ := r.secretValues(&req, nil)
		e.Request = &req
		var gaps textGaps
		b, _, err := appendEventGaps(nil, &e, &gaps)
		if err != nil {
			t.Fatal(err)
		}
		for range 10 {
			originals = g.perturbOriginals(originals)
			memo := memos.get(orig.SessionID, gate.EventDecision)
			before := slices.Clone(memo.originals)
			g1 := gaps
			got, err := r.freeTextAsItCame(nil, &orig, &e, b, &g1, originals, memo)
			memo.unlock()
			if err != nil {
				t.Fatal(err)
			}
			g2 := gaps
			want, err := r.freeTextAsItCameOld(&orig, &e, b, &g2, originals, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("originals %q\nfound %q, the oracle %q", originals, got, want)
			}
			for i, v := range originals {
				if i < len(before) && before[i].set && before[i].value == v {
					hits++
				}
			}
			if memo.origBytes > maxMemoOriginalBytes || len(memo.originals) > maxMemoOriginals {
				t.Fatalf("memory past its bounds: %d bytes, %d originals", memo.origBytes, len(memo.originals))
			}
		}
	}
	if hits < 1000 {
		t.Fatalf("only %d originals recalled: the test does not exercise the memory", hits)
	}
}

// A session's Authorization header, the same on every request, is
// searched once: the next events' finds are the strings found then.
func TestOriginalsMemoReusesFinds(t *testing.T) {
	r := &redactor{key: []byte("0123456789abcdef0123456789abcdef"), names: mask.CompileSecretNames(nil), nameFilter: newNameFilter(nil)}
	var memos scanMemos
	var first []string
	for i := range 3 {
		orig := gate.Event{Kind: gate.EventDecision, SessionID: "s-1", Request: &gate.Request{Protocol: "http", Command: "GET /v1/items",
			HTTP: &gate.HTTP{Method: "GET", Path: "/v1/items", Headers: map[string][]string{"authorization": {"Bearer agent-token-0123456789"}}}}}
		e := orig
		req := *orig.Request
		_, originals, _ := r.secretValues(&req, nil)
		e.Request = &req
		var gaps textGaps
		b, _, err := appendEventGaps(nil, &e, &gaps)
		if err != nil {
			t.Fatal(err)
		}
		memo := memos.get("s-1", gate.EventDecision)
		found, err := r.freeTextAsItCame(nil, &orig, &e, b, &gaps, originals, memo)
		memo.unlock()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(found, []string{"agent-token-0123456789"}) {
			t.Fatalf("found %q", found)
		}
		if i == 0 {
			first = found
		} else if unsafe.StringData(found[0]) != unsafe.StringData(first[0]) {
			t.Fatalf("event %d: the find was copied again", i)
		}
	}
}
