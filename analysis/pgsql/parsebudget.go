package pgsql

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/sync/semaphore"
)

// ErrTooLarge is returned (wrapped in ErrUnparsable) for a text longer
// than MaxParseBytes or holding more than MaxStatements statements.
var ErrTooLarge = errors.New("the statement is larger than the gateway parses")

// MaxStatements is the most statements one text may hold: 10,000. Each
// statement is classified and judged on its own, at about 1 KB of memory
// apiece, all held until the text's decision: a 4 MiB text of "SELECT 1;"
// (466,000 statements) cost the gateway 3.9 GB and 50 s before this
// bound, against 0.6 GB for the densest single statement.
var MaxStatements = 10000

// MaxParseBytes is the longest text Parse accepts: 4 MiB. Parsing costs
// memory and time in proportion to a text's tokens — about 100 bytes of
// memory and a microsecond of CPU for each byte of a dense text (an IN
// list of numbers), measured: a 16 MiB statement took 1.9 GB and 17 s
// of the gateway's CPU before this bound. A longer statement is refused
// with a clear error; bulk data belongs in COPY, which the gateway
// passes through without parsing its rows.
var MaxParseBytes = 4 << 20

// ParseBudgetBytes bounds the bytes of text parsed (and, by the
// classifier, classified) at once across the process: 8 MiB. A text of at least bigParseBytes waits, in the order it
// came, until the texts being parsed leave room for it, so that concurrent
// sessions sending big statements queue instead of adding up to more
// memory than the machine has. It is read once, at the first big parse.
var ParseBudgetBytes int64 = 8 << 20

// bigParseBytes is the shortest text that takes from the budget: a
// shorter one costs at most a few MB however many sessions parse one at
// once, and the statements a gateway sees every second are far shorter.
const bigParseBytes = 64 << 10

var parseBudget lazyBudget

// lazyBudget is a weighted semaphore of ParseBudgetBytes, made when first
// needed so that a program may set ParseBudgetBytes before it parses.
type lazyBudget struct {
	once sync.Once
	sem  *semaphore.Weighted
	size int64
}

// take waits for n bytes of the budget (at most the whole budget) and
// returns the function that gives them back; a text shorter than
// bigParseBytes takes nothing.
func (b *lazyBudget) take(n int) func() {
	if n < bigParseBytes {
		return func() {}
	}
	b.once.Do(func() {
		b.size = max(ParseBudgetBytes, bigParseBytes)
		b.sem = semaphore.NewWeighted(b.size)
	})
	w := min(int64(n), b.size)
	// Background: every holder gives its bytes back when its parse
	// ends, which MaxParseBytes bounds in time.
	_ = b.sem.Acquire(context.Background(), w)
	if parseHook != nil {
		parseHook(int(w), true)
	}
	return func() {
		if parseHook != nil {
			parseHook(int(w), false)
		}
		b.sem.Release(w)
	}
}

// parseHook, when set (by tests), sees each big parse's share of the
// budget taken and given back.
var parseHook func(n int, entering bool)

// checkSize returns an error wrapping ErrUnparsable and ErrTooLarge when
// sql is longer than MaxParseBytes.
func checkSize(sql string) error {
	if len(sql) <= MaxParseBytes {
		return nil
	}
	return fmt.Errorf("%w: %w (%d bytes; at most %d: split it, or load data with COPY)", ErrUnparsable, ErrTooLarge, len(sql), MaxParseBytes)
}
