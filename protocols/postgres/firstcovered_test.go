package postgres

import (
	"math/rand/v2"
	"testing"

	"github.com/airlock-sdk/airlock/analysis/pgsql"
	"github.com/airlock-sdk/airlock/mask"
)

// TestFirstCoveredButOracle: told a field the policy does not cover,
// firstCoveredBut answers what firstCovered does, over generated lineages
// of covered and uncovered fields in every order (the known field among
// them or not).
func TestFirstCoveredButOracle(t *testing.T) {
	eng, err := mask.New(mask.Config{Fields: []mask.FieldRule{{Name: "cards", Columns: []string{"*.card_num", "people.ssn"}}}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := eng.EveryPolicy()
	if err != nil {
		t.Fatal(err)
	}
	// Uncovered fields as long as covered ones, and prefixes of them.
	fields := []string{"accounts.card_num", "people.ssn", "people.name", "orders.total", "ssn", "", "people.card_num",
		"zzzzzz.ssn", "people.sso", "accounts.card_nux", "people"}
	r := rand.New(rand.NewPCG(4, 9))
	found := 0
	for range 5000 {
		var l pgsql.Lineage
		for range r.IntN(5) {
			l.Fields = append(l.Fields, fields[r.IntN(len(fields))])
		}
		known := fields[r.IntN(len(fields))]
		if p.FieldStrategy(known) != "" {
			continue // only a field known not to be covered is passed
		}
		want := firstCovered(p, l)
		if got := firstCoveredBut(p, l, known); got != want {
			t.Fatalf("fields %q, known %q: %q, firstCovered %q", l.Fields, known, got, want)
		}
		if want != "" {
			found++
		}
	}
	if found < 500 {
		t.Fatalf("only %d lineages with a covered field", found)
	}
}
