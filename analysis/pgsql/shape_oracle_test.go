package pgsql

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/airlock-sdk/airlock/internal/sqltext"
)

// oldShape and oldShapeOf are shapeOf as it was before it scanned into a
// reused scratch: the oracle of TestShapeScratchOracle.
type oldShape struct {
	key   string
	parts []string
	lits  []lit
}

// oldIsSpace, oldIsIdentStart and oldIsIdentChar are the byte classes
// as comparisons, before the table byteClasses.
func oldIsSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func oldIsIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func oldIsIdentChar(c byte) bool {
	return oldIsIdentStart(c) || c >= '0' && c <= '9' || c == '$'
}

func oldShapeOf(sql string) (oldShape, bool) {
	if len(sql) > maxShapeLen || !utf8.ValidString(sql) {
		return oldShape{}, false
	}
	for i := 0; i < len(sql); i++ {
		if c := sql[i]; c < 0x20 && !oldIsSpace(c) || c == 0x7f {
			return oldShape{}, false
		}
	}
	var lits []lit
	var key strings.Builder
	key.Grow(len(sql))
	var parts []string
	partStart := 0
	partHasCode := false
	space := false
	emit := func(s string) {
		if space && key.Len() > 0 {
			key.WriteByte(' ')
		}
		space = false
		key.WriteString(s)
	}
	endPart := func(end int) {
		if partHasCode {
			parts = append(parts, strings.TrimSpace(sql[partStart:end]))
		}
		partStart = end + 1
		partHasCode = false
	}
	i := 0
	for i < len(sql) {
		c := sql[i]
		switch {
		case oldIsSpace(c):
			space = true
			i++
		case c == '-' && i+1 < len(sql) && sql[i+1] == '-':
			j := strings.IndexAny(sql[i:], "\r\n")
			if j < 0 {
				i = len(sql)
			} else {
				i += j
			}
			space = true
		case c == '/' && i+1 < len(sql) && sql[i+1] == '*':
			end, ok := sqltext.BlockCommentEnd(sql, i)
			if !ok {
				return oldShape{}, false
			}
			i = end
			space = true
		case c == '\'':
			if i > 0 && oldIsIdentChar(sql[i-1]) {
				// A prefixed string: E'..', B'..', X'..', N'..'. Only
				// a lone prefix letter is understood.
				p := sql[i-1] | 0x20
				if i >= 2 && oldIsIdentChar(sql[i-2]) || (p != 'e' && p != 'b' && p != 'x' && p != 'n') {
					return oldShape{}, false
				}
				if p == 'e' {
					return oldShape{}, false // backslash escapes: leave to the parser
				}
			}
			j, ok := quotedEnd(sql, i)
			if !ok {
				return oldShape{}, false
			}
			if continuesString(sql, j) {
				return oldShape{}, false
			}
			emit(markString)
			lits = append(lits, lit{off: i, raw: sql[i:j]})
			partHasCode = true
			i = j
		case c == '"':
			j, ok := quotedEnd(sql, i)
			if !ok {
				return oldShape{}, false
			}
			emit(sql[i:j])
			partHasCode = true
			i = j
		case c == '$':
			if i > 0 && oldIsIdentChar(sql[i-1]) {
				return oldShape{}, false // handled inside identifiers; should not happen
			}
			j := i + 1
			if j < len(sql) && isDigit(sql[j]) {
				for j < len(sql) && isDigit(sql[j]) {
					j++
				}
				if j < len(sql) && oldIsIdentChar(sql[j]) {
					return oldShape{}, false
				}
				emit(sql[i:j])
				partHasCode = true
				i = j
				continue
			}
			for j < len(sql) && sql[j] != '$' && (oldIsIdentChar(sql[j])) {
				j++
			}
			if j >= len(sql) || sql[j] != '$' {
				return oldShape{}, false
			}
			tag := sql[i : j+1]
			if len(tag) > 2 && isDigit(tag[1]) {
				return oldShape{}, false
			}
			end := strings.Index(sql[j+1:], tag)
			if end < 0 {
				return oldShape{}, false
			}
			emit(markString)
			lits = append(lits, lit{off: i, raw: sql[i : j+1+end+len(tag)]})
			partHasCode = true
			i = j + 1 + end + len(tag)
		case isDigit(c) || c == '.' && i+1 < len(sql) && isDigit(sql[i+1]):
			j := i
			if c == '0' && i+1 < len(sql) && strings.IndexByte("xXoObB", sql[i+1]) >= 0 {
				digits := "0123456789abcdefABCDEF"
				switch sql[i+1] | 0x20 {
				case 'o':
					digits = "01234567"
				case 'b':
					digits = "01"
				}
				j += 2
				for j < len(sql) && strings.IndexByte(digits, sql[j]) >= 0 {
					j++
				}
				if j == i+2 {
					return oldShape{}, false
				}
			} else {
				dots := 0
				for j < len(sql) && (isDigit(sql[j]) || sql[j] == '.') {
					if sql[j] == '.' {
						dots++
					}
					j++
				}
				if dots > 1 || j < len(sql) && sql[j] == '_' {
					return oldShape{}, false // leave 1..2 and 1_000 to the parser
				}
				if j < len(sql) && (sql[j] == 'e' || sql[j] == 'E') {
					k := j + 1
					if k < len(sql) && (sql[k] == '+' || sql[k] == '-') {
						k++
					}
					if k < len(sql) && isDigit(sql[k]) {
						j = k
						for j < len(sql) && isDigit(sql[j]) {
							j++
						}
					}
				}
			}
			if j < len(sql) && oldIsIdentChar(sql[j]) {
				return oldShape{}, false
			}
			emit(markNumber)
			lits = append(lits, lit{off: i, raw: sql[i:j]})
			partHasCode = true
			i = j
		case oldIsIdentStart(c):
			j := i
			for j < len(sql) && oldIsIdentChar(sql[j]) {
				j++
			}
			if j < len(sql) && (sql[j] == '\'' || sql[j] == '&') {
				// A string prefix (E'', U&''): handled by the quote case
				// for single letters; anything else gives up.
				if sql[j] == '&' {
					return oldShape{}, false
				}
			}
			emit(sql[i:j])
			partHasCode = true
			i = j
		case c == ';':
			emit(";")
			endPart(i)
			i++
		case c == '\\' || c == 0:
			return oldShape{}, false
		default:
			emit(sql[i : i+1])
			partHasCode = true
			i++
		}
	}
	endPart(len(sql))
	return oldShape{key: key.String(), parts: parts, lits: lits}, true
}

// TestShapeScratchOracle compares scans into reused scratches (one kept
// across texts, and the pool's) with oldShapeOf over generated texts made
// of the tokens the scanner tells apart, including the ones it gives up
// on, with the pool's scratches taken and given back between texts.
func TestShapeScratchOracle(t *testing.T) {
	tokens := []string{"SELECT", "abalance", "FROM", "pgbench_accounts", "WHERE", "aid", "=", "4242", "1.5", "1e3", ".5",
		"'x'", "'it''s'", "''", "E'a\\n'", "B'01'", "X'ff'", "$1", "$$body$$", "$t$q$t$", "\"Id\"", "\"a\"\"b\"",
		"--c\n", "/* c */", "/* a /* b */ c */", ";", " ", "\n", "\t", "(", ")", ",", "::", "int", "0x1F", "1..2", "1_000",
		"\\", "U&'x'", "é", "'unterminated", "/* open", "\"open", "$$open", "SELECT 'a'\n'b'", "ab'c'", "x1", "2abc",
		"U&", "a&b", "_x$1", "x$", "\v", "\f", "\r", "\x7f", "\x01", "\xc3\xa9t\xc3\xa9", "e'x'", "n'x'", "0o17", "0b1", "1e+5", "1.e"}
	rng := rand.New(rand.NewPCG(19, 8))
	kept := new(shapeScratch)
	for i := range 20000 {
		var b strings.Builder
		for range 1 + rng.IntN(14) {
			if rng.IntN(8) == 0 {
				// Any byte at all: control bytes, the upper half,
				// '&' after a name, the classes' edges.
				b.WriteByte(byte(rng.IntN(256)))
				continue
			}
			b.WriteString(tokens[rng.IntN(len(tokens))])
			if rng.IntN(3) > 0 {
				b.WriteByte(' ')
			}
		}
		sql := b.String()
		want, wok := oldShapeOf(sql)
		pooled := getShapeScratch()
		for name, sc := range map[string]*shapeScratch{"kept": kept, "pooled": pooled} {
			got, ok := sc.scan(sql)
			if ok != wok || string(got.key) != want.key || !slices.Equal(got.parts, want.parts) || !slices.Equal(got.lits, want.lits) {
				t.Fatalf("text %d %q, %s scratch: got %v %q %q %v, want %v %q %q %v", i, sql, name,
					ok, got.key, got.parts, got.lits, wok, want.key, want.parts, want.lits)
			}
		}
		putShapeScratch(pooled)
	}
}

// TestByteClasses checks the table of the scanner against the comparisons
// it replaces, for every byte.
func TestByteClasses(t *testing.T) {
	for i := range 256 {
		c := byte(i)
		refused := c < 0x20 && !oldIsSpace(c) || c == 0x7f
		if isSpace(c) != oldIsSpace(c) || isIdentStart(c) != oldIsIdentStart(c) || isIdentChar(c) != oldIsIdentChar(c) ||
			(byteClasses[c]&classRefused != 0) != refused {
			t.Fatalf("byte %#x: classes %#b", c, byteClasses[c])
		}
	}
}

// TestHasRefusedByteOracle compares the word-at-a-time test with a loop
// over the bytes, over texts of printable bytes with a few of any value
// (control bytes, white space, DEL, the upper half) at every offset.
func TestHasRefusedByteOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	found := 0
	for range 50000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = byte(0x20 + rng.IntN(0x5f))
			if rng.IntN(12) == 0 {
				b[i] = byte(rng.IntN(256))
			}
		}
		want := false
		for _, c := range b {
			if c < 0x20 && !oldIsSpace(c) || c == 0x7f {
				want = true
			}
		}
		if got := hasRefusedByte(string(b)); got != want {
			t.Fatalf("hasRefusedByte(%q) = %v, want %v", b, got, want)
		}
		if want {
			found++
		}
	}
	if found < 5000 {
		t.Fatalf("only %d texts with a refused byte", found)
	}
}
