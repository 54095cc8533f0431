package conformance_test

import (
	"slices"
	"testing"

	"github.com/airlock-sdk/airlock/internal/conformance"
	"github.com/airlock-sdk/airlock/internal/tbrecorder"
)

// failing is a kit of two checks; the second always fails.
var failing = []conformance.Check[*[]string]{
	{Name: "First", Run: func(t testing.TB, ran *[]string) { *ran = append(*ran, "First") }},
	{Name: "Second", Run: func(t testing.TB, ran *[]string) {
		*ran = append(*ran, "Second")
		t.Errorf("broken %d", 2)
	}},
}

func TestRunPrefixesFailuresOutsideSubtests(t *testing.T) {
	var harnesses int
	var ran []string
	failures := tbrecorder.Run(t, func(tb testing.TB) {
		conformance.Run(tb, failing, func(testing.TB) *[]string { harnesses++; return &ran })
	})
	if !slices.Equal(ran, []string{"First", "Second"}) || harnesses != 2 {
		t.Fatalf("ran %v on %d harnesses; want both checks, each on a fresh one", ran, harnesses)
	}
	if !slices.Equal(failures, []string{"Second: broken 2"}) {
		t.Fatalf("failures %q", failures)
	}
	tbrecorder.WantCheckFailed(t, failures, "Second")
}

func TestRunMakesSubtests(t *testing.T) {
	var ran []string
	conformance.Run(t, failing[:1], func(testing.TB) *[]string { return &ran })
	if !slices.Equal(ran, []string{"First"}) {
		t.Fatalf("ran %v", ran)
	}
}

func TestNonce(t *testing.T) {
	a, b := conformance.Nonce(8), conformance.Nonce(8)
	if len(a) != 16 || a == b {
		t.Fatalf("nonces %q %q", a, b)
	}
}
