package mask

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPolicyCacheGenerated: whatever order lists of names are asked for
// in (the same list again, a list that differs in one name, order or
// length), Policy returns the policy of exactly that list: the one a
// fresh engine builds for it, and the same one each time it is asked.
func TestPolicyCacheGenerated(t *testing.T) {
	e, err := New(Config{})
	require.NoError(t, err)
	names := e.Names()
	r := rand.New(rand.NewPCG(3, 9))
	seen := map[string]*Policy{}
	var lists [][]string
	for range 40 {
		l := make([]string, 1+r.IntN(3))
		for i := range l {
			l[i] = names[r.IntN(len(names))]
		}
		lists = append(lists, l)
	}
	for i := range 5000 {
		l := lists[r.IntN(len(lists))]
		if r.IntN(3) == 0 {
			l = lists[max(0, i%len(lists)-1)] // neighbours often differ in one name
		}
		asked := slices.Clone(l)
		p, err := e.Policy(asked)
		require.NoError(t, err)
		key := fmtKey(l)
		if want, ok := seen[key]; ok {
			require.Same(t, want, p, "list %v asked again", l)
			continue
		}
		fresh, err := New(Config{})
		require.NoError(t, err)
		fp, err := fresh.Policy(l)
		require.NoError(t, err)
		require.Equal(t, fp.Detectors(), p.Detectors(), "list %v", l)
		seen[key] = p
	}
}

func fmtKey(l []string) string {
	var b []byte
	for _, n := range l {
		b = append(b, n...)
		b = append(b, 0)
	}
	return string(b)
}

// Asking for the list asked for last costs no allocation.
func TestPolicyRepeatedListAllocatesNothing(t *testing.T) {
	e, err := New(Config{})
	require.NoError(t, err)
	names := []string{"credit_card", "email"}
	_, err = e.Policy(names)
	require.NoError(t, err)
	_, _ = e.Policy(names)
	if n := testing.AllocsPerRun(100, func() { _, _ = e.Policy(names) }); n != 0 {
		t.Fatalf("%v allocations per repeated Policy", n)
	}
}
