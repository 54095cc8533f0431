package mask

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// memoLeaves are the values of the documents of TestJSONMemoChangesNothing:
// clean texts and numbers repeated, values found whole, values found only
// as a number's decimal expansion or only joined with their neighbours.
var memoLeaves = []string{
	`"widget"`, `"a"`, `"b"`, `"ok"`, `12345`, `9.99`, `0`, `"USD"`, `"4111"`, `"1111"`,
	`"4111111111111111"`, `4111111111111111`, `4.111111111111111e15`, `"4.111111111111111e15"`,
	`"ann.lee@example.com"`, `"ann.lee"`, `"@example.com"`, `"123-45-6789"`, `"123"`, `"45"`, `"6789"`,
	`"NDExMTExMTExMTExMTExMQ=="`, `"four one one one"`, `"s3cr3t-Tok3n-4111"`, `true`, `null`,
	`"415"`, `"555"`, `"2671"`, `"AKIAIOSFODNN7EXAMPLE"`, `"\u0034111111111111111"`,
}

var memoKeys = []string{"id", "name", "card", "email", "n", "ssn", "tags", "4111", "ann.lee@example.com"}

// memoDoc is a random JSON document of arrays of objects whose keys and
// values repeat.
func memoDoc(r *rand.Rand, depth int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i := range 1 + r.IntN(6) {
		if i > 0 {
			b.WriteByte(',')
		}
		if r.IntN(4) == 0 {
			b.WriteString(memoLeaves[r.IntN(len(memoLeaves))])
			continue
		}
		b.WriteByte('{')
		keys := r.Perm(len(memoKeys))[:1+r.IntN(4)]
		for k, ki := range keys {
			if k > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%q:", memoKeys[ki])
			if depth < 2 && r.IntN(5) == 0 {
				b.WriteString(memoDoc(r, depth+1))
			} else {
				b.WriteString(memoLeaves[r.IntN(len(memoLeaves))])
			}
		}
		b.WriteByte('}')
	}
	b.WriteByte(']')
	return b.String()
}

// TestJSONMemoChangesNothing holds Policy.JSON to its reading of every
// text anew: the same output and findings on documents that repeat
// clean and sensitive texts, under several policies.
func TestJSONMemoChangesNothing(t *testing.T) {
	e, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	policies := []*Policy{testPolicy(t)}
	for _, names := range [][]string{{"credit_card", "email"}, {"all"}} {
		p, err := e.Policy(names)
		if err != nil {
			t.Fatal(err)
		}
		policies = append(policies, p, p.WithSecrets([]string{"s3cr3t-Tok3n-4111"}))
	}
	r := rand.New(rand.NewPCG(3, 5))
	changed := 0
	for range 3000 {
		doc := []byte(memoDoc(r, 0))
		for _, p := range policies {
			got, gf, gerr := p.JSON(doc)
			want, wf, werr := p.maskJSON(doc, false)
			if !bytes.Equal(got, want) || !reflect.DeepEqual(gf, wf) || (gerr == nil) != (werr == nil) {
				t.Fatalf("%s\nmemo:    %s %v %v\nwithout: %s %v %v", doc, got, gf, gerr, want, wf, werr)
			}
			// Values split and repeated across members and containers
			// are rewritten in place: the output stays one JSON text.
			if gerr == nil && !json.Valid(got) {
				t.Fatalf("%s\nbecame no JSON: %s", doc, got)
			}
			if !bytes.Equal(got, doc) {
				changed++
			}
		}
	}
	if changed == 0 {
		t.Fatal("no document was masked: the generator tests nothing")
	}
}

// TestJSONMemoIsPerDocument: a text found clean under one policy is read
// again in the next document, under a policy that masks it.
func TestJSONMemoIsPerDocument(t *testing.T) {
	e, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	cards, err := e.Policy([]string{"credit_card"})
	if err != nil {
		t.Fatal(err)
	}
	emails, err := e.Policy([]string{"email"})
	if err != nil {
		t.Fatal(err)
	}
	doc := []byte(`[{"to":"ann.lee@example.com"},{"to":"ann.lee@example.com"}]`)
	for range 50 {
		if out, _, err := cards.JSON(doc); err != nil || !bytes.Equal(out, doc) {
			t.Fatalf("cards: %s %v", out, err)
		}
		out, _, err := emails.JSON(doc)
		if err != nil || bytes.Contains(out, []byte("ann.lee@")) {
			t.Fatalf("emails: %s %v", out, err)
		}
	}
}
