package mask

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// scanFields is fieldFor without the memo: the reference it must equal.
func scanFields(p *Policy, field string) *fieldRule {
	if field == "" {
		return nil
	}
	for _, f := range p.fields {
		if f.matchField(field) {
			return f
		}
	}
	return nil
}

// TestFieldMemoEqualsScan asks, for random field names (covered, uncovered,
// in mixed case, with and without a table), the memoised lookup twice and
// the plain scan once: all three must name the same rule.
func TestFieldMemoEqualsScan(t *testing.T) {
	e, err := New(Config{Fields: []FieldRule{
		{Name: "notes", Columns: []string{"*.notes", "crm.comment*"}, Strategy: "redact"},
		{Name: "dob", Columns: []string{"birth_date"}, Strategy: "null"},
		{Name: "auth", Headers: []string{"X-Session"}, Strategy: "same_length"},
	}})
	require.NoError(t, err)
	p, err := e.Policy([]string{"notes", "dob", "auth"})
	require.NoError(t, err)
	tables := []string{"", "users.", "crm.", "CRM.", "people.", "x.y."}
	cols := []string{"notes", "NOTES", "comment", "comments", "commentary", "birth_date", "Birth_Date", "name", "x-session", "X-SESSION", "session", ""}
	rng := rand.New(rand.NewPCG(1, 2))
	covered := 0
	for range 5000 {
		field := tables[rng.IntN(len(tables))] + cols[rng.IntN(len(cols))]
		if rng.IntN(4) == 0 {
			field += fmt.Sprint(rng.IntN(50))
		}
		want := scanFields(p, field)
		require.Same(t, want, p.fieldFor(field), field)
		require.Same(t, want, p.fieldFor(field), "memoised: "+field)
		if want != nil {
			covered++
		}
	}
	require.Greater(t, covered, 1000, "the generator must reach covered names")
}

// TestFieldMemoIsBounded feeds more distinct names than the memo holds: it
// stops growing, and names past the bound are still matched correctly.
func TestFieldMemoIsBounded(t *testing.T) {
	e, err := New(Config{Fields: []FieldRule{{Name: "notes", Columns: []string{"*.notes*"}, Strategy: "redact"}}})
	require.NoError(t, err)
	p, err := e.Policy([]string{"notes"})
	require.NoError(t, err)
	for i := range 2 * maxFieldMemo {
		field := fmt.Sprintf("t%d.col", i)
		if i%2 == 0 {
			field = fmt.Sprintf("t%d.notes%d", i, i)
		}
		got := p.FieldStrategy(field)
		require.Equal(t, strings.Contains(field, "notes"), got != "", field)
	}
	n := 0
	p.fieldMemo.m.Range(func(any, any) bool { n++; return true })
	require.Equal(t, maxFieldMemo, n)
	require.EqualValues(t, maxFieldMemo, p.fieldMemo.n.Load())
}
