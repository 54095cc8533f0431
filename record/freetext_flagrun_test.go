package record

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
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

// naiveLongFlags is scanLongFlags as a walk and a name check per "--"
// (quadratic in a run of name bytes), with flagNamed's bound: the
// reference TestLongFlagsLinear holds the linear search to. Like
// scanLongFlags, it appends the value after a run once.
func naiveLongFlags(f freeText, t []byte) []string {
	var out []string
	seen := map[int]bool{}
	for p := 0; ; {
		i := strings.Index(string(t[p:]), "--")
		if i < 0 {
			return out
		}
		p += i + 2
		j := p
		for j < len(t) && isNameByte(t[j]) {
			j++
		}
		if j == p || j+1 >= len(t) || t[j] != ' ' || t[j+1] == '-' {
			continue
		}
		name := strings.TrimLeft(string(t[p:j]), "-_.")
		if len(name) <= maxFlagName && !f.names.Match(name) || seen[j] {
			continue
		}
		seen[j] = true
		v, _ := value(t, j+1)
		out = addValue(out, v)
	}
}

// TestLongFlagsLinear: runs of names and separators before a value —
// "a--a--a-- v", "--x--password v", dashes, names longer than
// maxFlagName — give what the walk per "--" gives (naiveLongFlags), the
// prefilter triggers the rule whenever a value is found, and the search
// stays linear: 4× the text costs well under the 16× a quadratic search
// pays.
func TestLongFlagsLinear(t *testing.T) {
	names := mask.CompileSecretNames(nil)
	f := freeText{names: names, filter: newNameFilter(nil)}
	units := []string{"-", "--", "a--", "a-", "_", ".", "x", "--x", "pass", "--password", "word-", "token--", "-.-_"}
	rng := rand.New(rand.NewPCG(7, 19))
	var cases, found int
	for range 4000 {
		var sb strings.Builder
		for n := rng.IntN(40); n > 0; n-- {
			sb.WriteString(units[rng.IntN(len(units))])
		}
		if rng.IntN(3) == 0 {
			sb.WriteString(strings.Repeat("ab", rng.IntN(50)))
		}
		sb.WriteString([]string{" hunter2value", " -x", "", " 'quoted secret'", "\n next", " $1"}[rng.IntN(6)])
		b := []byte(sb.String())
		cases++
		want := naiveLongFlags(f, b)
		got := f.scanLongFlags(nil, b)
		if !slices.Equal(got, want) {
			t.Fatalf("scanLongFlags found %q, the walk per name %q, in %q", got, want, b)
		}
		if len(want) > 0 {
			found++
			if f.triggered(b)&ruleLongFlags == 0 {
				t.Fatalf("the prefilter misses the long option in %q", b)
			}
		}
	}
	if found < cases/20 {
		t.Fatalf("only %d of %d generated texts held a secret option", found, cases)
	}
	// 240 KB of each: the walk per "--" took two minutes for "a--"; a
	// linear search takes milliseconds (race detector included).
	for _, unit := range []string{"a--", "--", "-", "pa--ss", "x-_."} {
		b := []byte(strings.Repeat(unit, 240_000/len(unit)) + " value1234")
		start := time.Now()
		f.scanLongFlags(nil, b)
		f.triggered(b)
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%q repeated to 240 KB: the search took %v (quadratic)", unit, d)
		}
	}
	t.Logf("%d texts, %d with a secret option", cases, found)
}

// TestRecorderLongFlagRunOutput: an output of 240 KB of "a--a--…" and a
// value, recorded through a Recorder, is written in well under the two
// minutes the walk per "--" took (during which the recorder wrote no
// other session's events), the value hidden.
func TestRecorderLongFlagRunOutput(t *testing.T) {
	var sink Memory
	rec := New(&sink, Options{})
	data := []byte(strings.Repeat("a--", 80_000) + " value1234\n")
	start := time.Now()
	err := rec.Record(context.Background(), gate.Event{Kind: gate.EventOutput, SessionID: "s", Time: time.Now(),
		Output: &gate.Output{DecisionID: "d", Stream: "stdout", Data: data, Final: true}})
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("recording the output took %v", d)
	}
	evs := sink.GateEvents("s")
	if len(evs) != 1 || evs[0].Output == nil {
		t.Fatalf("recorded %d events, want the output", len(evs))
	}
	// The option's name is longer than any secret name is checked
	// against: its value is taken for a secret.
	if got := string(evs[0].Output.Data); !strings.HasPrefix(got, "a--a--") || strings.Contains(got, "value1234") {
		t.Fatalf("recorded output %.40q…%q", got, got[max(0, len(got)-40):])
	}
}
