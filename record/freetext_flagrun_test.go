package record

import (
	"slices"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/mask"
)

// TestLongFlagRunsDifferential: the prefilter's walk of runs of dashes and
// names (longFlagAt's shared noFlagTo) keeps every long option the
// scan finds: options named like secrets and not, glued after runs of
// dashes and names of every length, at every offset of psql-like output,
// against the unfiltered scan (oracleScan).
func TestLongFlagRunsDifferential(t *testing.T) {
	names := mask.CompileSecretNames(nil)
	filter := newNameFilter(nil)
	flags := []string{"--password hunter2x", "--token abc123def", "--api-key k9k9k9k9", "--verbose yes", "--password --x", "--password", "--secret=s3cr3tval"}
	glue := []string{"", "-", "--", "---", "a", "a-", "a--", "-a-", "x.y", "_", " ", "\n", "=", "--a--"}
	var cases, dirty int
	for dashes := 0; dashes <= 12; dashes++ {
		run := strings.Repeat("-", dashes)
		for _, g := range glue {
			for _, fl := range flags {
				for _, tail := range []string{"", " ", "\n", " rest", "-"} {
					for _, s := range []string{run + g + fl + tail, g + run + fl + tail, " abalance \n" + run + g + fl + tail + "\n(1 row)\n", fl + " " + run + g + tail} {
						b := []byte(s)
						for _, f := range []freeText{{names: names, filter: filter}, {names: names, filter: filter, json: true}} {
							cases++
							want := sortedCopy(oracleScan(f, nil, b))
							got := sortedCopy(f.scan(nil, b))
							if !slices.Equal(got, want) {
								t.Fatalf("scan found %q, the oracle %q in %q", got, want, s)
							}
							if len(want) > 0 {
								dirty++
								if f.triggered(b)&ruleLongFlags == 0 && strings.Contains(s, "--") && !strings.Contains(s, "=") {
									t.Errorf("long-option rule not triggered, the oracle finds %q in %q", want, s)
								}
							}
						}
					}
				}
			}
		}
	}
	if dirty == 0 {
		t.Fatal("no case held a secret")
	}
	t.Logf("%d cases, %d with secrets", cases, dirty)
}
