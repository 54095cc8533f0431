package pgsql

import (
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// hugeShapes are statement texts of at least n bytes, each dense in its
// own way: what the parser pays for per byte differs (tokens, nodes,
// statements), so the size bound must hold for all of them.
func hugeShapes(n int) map[string]string {
	fill := func(head, unit, sep, tail string) string {
		var b strings.Builder
		b.Grow(n + len(head) + len(tail) + len(unit) + len(sep))
		b.WriteString(head)
		for b.Len() < n {
			b.WriteString(unit)
			b.WriteString(sep)
		}
		b.WriteString(unit)
		b.WriteString(tail)
		return b.String()
	}
	return map[string]string{
		"in-list":          fill("SELECT 1 WHERE 1 IN (", "1", ",", ")"),
		"values-rows":      fill("INSERT INTO t VALUES ", "(1,'a')", ",", ""),
		"select-list":      fill("SELECT ", "a", ",", " FROM t"),
		"and-chain":        fill("SELECT 1 WHERE ", "a=1", " AND ", ""),
		"statements":       fill("", "SELECT 1", ";", ";"),
		"string-literal":   fill("SELECT '", "x", "", "'"),
		"dollar-body":      fill("DO $$BEGIN ", "PERFORM 1", ";", " END$$"),
		"comment":          fill("SELECT 1 /* ", "x", "", " */"),
		"array-literal":    fill("SELECT ARRAY[", "1", ",", "]"),
		"case-whens":       fill("SELECT CASE ", "WHEN a THEN 1", " ", " END"),
		"union-all-select": fill("", "SELECT 1", " UNION ALL ", ""),
	}
}

// TestOversizedStatementsRefusedCheaply: a text over MaxParseBytes is
// refused before the scanner or the parser see it, in every shape, at no
// cost that grows with it. Before the bound, the gateway parsed them all:
// a 16 MiB IN list took 17 s of CPU and 1.9 GB.
func TestOversizedStatementsRefusedCheaply(t *testing.T) {
	for name, sql := range hugeShapes(MaxParseBytes + 1) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		_, err := Parse(sql)
		took := time.Since(start)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrTooLarge) || !errors.Is(err, ErrUnparsable) {
			t.Errorf("%s (%d bytes): err = %v, want ErrTooLarge", name, len(sql), err)
			continue
		}
		if !strings.Contains(err.Error(), "COPY") {
			t.Errorf("%s: the refusal does not say what to do instead: %v", name, err)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<10 || took > time.Second {
			t.Errorf("%s: refusing it cost %v and %d bytes", name, took, alloc)
		}
	}
}

// TestStatementsUpToTheBoundParse: the bound refuses nothing at or under
// MaxParseBytes (a short, cheap shape checks the edge itself).
func TestStatementsUpToTheBoundParse(t *testing.T) {
	sql := "SELECT '" + strings.Repeat("x", MaxParseBytes-len("SELECT ''")) + "'"
	if len(sql) != MaxParseBytes {
		t.Fatalf("built %d bytes", len(sql))
	}
	if _, err := Parse(sql); err != nil {
		t.Fatalf("a text of exactly MaxParseBytes: %v", err)
	}
}

// TestParseBudgetQueuesBigTexts: concurrent parses of big texts never hold
// more than the budget between them, and each one ends. Eight sessions
// parse a 256 KiB IN list each under a 512 KiB budget: at most two at
// once. Without the budget all eight parse together (the peak below is
// eight texts).
func TestParseBudgetQueuesBigTexts(t *testing.T) {
	savedSize := ParseBudgetBytes
	t.Cleanup(func() { parseBudget, ParseBudgetBytes = lazyBudget{}, savedSize })
	parseBudget, ParseBudgetBytes = lazyBudget{}, 256<<10
	text := hugeShapes(128 << 10)["in-list"]

	var inFlight, peak atomic.Int64
	parseHook = func(n int, entering bool) {
		if !entering {
			inFlight.Add(-int64(n))
			return
		}
		now := inFlight.Add(int64(n))
		for p := peak.Load(); now > p && !peak.CompareAndSwap(p, now); p = peak.Load() {
		}
	}
	t.Cleanup(func() { parseHook = nil })

	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := Parse(text)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a parse within the budget failed: %v", err)
		}
	}
	if p := peak.Load(); p > ParseBudgetBytes || p < int64(len(text)) {
		t.Fatalf("peak bytes parsed at once = %d, budget %d (a text is %d)", p, ParseBudgetBytes, len(text))
	}
}

// TestManyStatementsRefused: a text of more than MaxStatements statements
// is refused, whatever its statements (each is classified and judged on
// its own); MaxStatements of them are not.
func TestManyStatementsRefused(t *testing.T) {
	for _, unit := range []string{"SELECT 1;", ";SELECT 1", "BEGIN;", "SET x.y=1;", "/*c*/SELECT 1;"} {
		over := strings.Repeat(unit, MaxStatements+1)
		if _, err := Parse(over); !errors.Is(err, ErrTooLarge) {
			t.Errorf("%d × %q: err = %v, want ErrTooLarge", MaxStatements+1, unit, err)
		}
		if _, err := NewClassifier(0).Classify(over); !errors.Is(err, ErrTooLarge) {
			t.Errorf("classifying %d × %q: err = %v, want ErrTooLarge", MaxStatements+1, unit, err)
		}
		if _, err := MentionsOf(over); !errors.Is(err, ErrTooLarge) {
			t.Errorf("mentions of %d × %q: err = %v, want ErrTooLarge", MaxStatements+1, unit, err)
		}
	}
	if _, err := NewClassifier(0).Classify(strings.Repeat("SELECT 1;", MaxStatements)); err != nil {
		t.Errorf("%d statements: %v", MaxStatements, err)
	}
}
