package pgsql

import (
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/airlock-sdk/airlock/internal/sqltext"
)

// shape is a SQL text with its literals stripped: the cache key of a
// classification, and the text's top-level statements.
//
// The scan is deliberately conservative. Two texts with the same key must
// differ only in the contents of literals, so anything the scanner does not
// understand with certainty (a backslash outside a string, an unknown string
// prefix, digits glued to letters, an unterminated literal or comment) makes
// it give up, and the text is classified by the parser instead.
//
// Literals are replaced by a marker of their lexical kind (string or
// number), so a string and a number never share a key; lits keeps each
// literal's offset and raw text, for the cache to put back into the key
// the literals a classification reads (see cache.go).
//
// A shape's slices belong to the shapeScratch that scanned it and are
// valid until its next scan; the strings in parts and lits are pieces of
// the scanned text.
type shape struct {
	key   []byte
	parts []string // top-level statements, trimmed, empty ones dropped
	lits  []lit
}

// shapeScratch is the reusable room of a scan: the key, the parts and the
// literals of a cache lookup cost no allocation once it has grown.
type shapeScratch struct {
	key   []byte
	parts []string
	lits  []lit
}

// shapeScratches keeps scratches between lookups (see CachedClassifier).
var shapeScratches = sync.Pool{New: func() any { return new(shapeScratch) }}

// maxScratchKey bounds the key room a pooled scratch keeps.
const maxScratchKey = 4 << 10

// getShapeScratch takes a scratch from the pool; putShapeScratch gives it
// back once no shape it scanned is used any more.
func getShapeScratch() *shapeScratch { return shapeScratches.Get().(*shapeScratch) }

func putShapeScratch(sc *shapeScratch) {
	// The pool must not keep the scanned texts alive, nor a huge key.
	clear(sc.parts[:cap(sc.parts)])
	clear(sc.lits[:cap(sc.lits)])
	sc.parts, sc.lits = sc.parts[:0], sc.lits[:0]
	if cap(sc.key) > maxScratchKey {
		sc.key = nil
	}
	shapeScratches.Put(sc)
}

// lit is one literal token of a scanned text.
type lit struct {
	off int    // byte offset of its first character
	raw string // the token as written
}

// Markers of literals in a shape key. Texts with control bytes other than
// white space are not scanned, so these never occur in a key otherwise.
const (
	markString = "\x01"
	markNumber = "\x02"
)

// continuesString reports whether the string literal ending at j may be
// continued by another after white space or comments ('a'<newline>'b' is
// one literal to PostgreSQL); the scanner leaves such texts to the parser.
func continuesString(sql string, j int) bool {
	for j < len(sql) {
		switch {
		case isSpace(sql[j]):
			j++
		case strings.HasPrefix(sql[j:], "--"):
			k := strings.IndexAny(sql[j:], "\r\n")
			if k < 0 {
				return false
			}
			j += k
		case strings.HasPrefix(sql[j:], "/*"):
			return true // conservative: do not count nesting here
		default:
			return sql[j] == '\''
		}
	}
	return false
}

// maxShapeLen bounds the texts the cache considers.
const maxShapeLen = 16 << 10

func isIdentStart(c byte) bool { return byteClasses[c]&classIdentStart != 0 }

func isIdentChar(c byte) bool { return byteClasses[c]&classIdent != 0 }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isSpace(c byte) bool { return byteClasses[c]&classSpace != 0 }

// Byte classes of the scanner, looked up in byteClasses: one load per
// byte of a text instead of a chain of comparisons.
const (
	classSpace      = 1 << iota // white space
	classIdentStart             // may start an identifier
	classIdent                  // may continue one
	classRefused                // a control byte the scanner refuses
)

var byteClasses = func() (t [256]uint8) {
	for i := range t {
		c := byte(i)
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' {
			t[i] |= classSpace
		} else if c < 0x20 || c == 0x7f {
			t[i] |= classRefused
		}
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80 {
			t[i] |= classIdentStart | classIdent
		}
		if c >= '0' && c <= '9' || c == '$' {
			t[i] |= classIdent
		}
	}
	return t
}()

// hasRefusedByte reports whether s holds a byte of classRefused (a
// control byte other than white space, or DEL). It tests eight bytes at
// a time, byte by byte only in a word that may hold one.
func hasRefusedByte(s string) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := s[i : i+8] // one bounds check, and one load below
		x := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
			uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
		del := x ^ ones*0x7f
		// A byte below 0x20, or a zero byte of del (a DEL of x): the
		// tests of "Bit Twiddling Hacks", exact for whether any is.
		if ((x-ones*0x20)&^x|(del-ones)&^del)&highs == 0 {
			continue
		}
		for j := i; j < i+8; j++ {
			if byteClasses[s[j]]&classRefused != 0 {
				return true
			}
		}
	}
	for ; i < len(s); i++ {
		if byteClasses[s[i]]&classRefused != 0 {
			return true
		}
	}
	return false
}

// shapeOf scans sql into a scratch of its own; ok is false when the
// scanner gives up.
func shapeOf(sql string) (shape, bool) {
	return new(shapeScratch).scan(sql)
}

// scan scans sql into sc's room; ok is false when the scanner gives up.
func (sc *shapeScratch) scan(sql string) (shape, bool) {
	if len(sql) > maxShapeLen || !utf8.ValidString(sql) {
		return shape{}, false
	}
	if hasRefusedByte(sql) {
		return shape{}, false
	}
	lits := sc.lits[:0]
	key := sc.key[:0]
	parts := sc.parts[:0]
	partStart := 0
	partHasCode := false
	space := false
	// The key is mostly the text itself: tokens separated by one space
	// each. Such a run of the text, sql[rs:re], goes to the key in one
	// copy when something else must be written (a literal's marker, white
	// space the key writes otherwise, the end), not token by token.
	rs, re := 0, 0
	// tok adds the token sql[i:j], written in the key as it stands.
	tok := func(i, j int) {
		switch {
		case i == re && !space:
			// Right after the run.
		case space && i == re+1 && sql[re] == ' ' && (len(key) > 0 || re > rs):
			// After one space, which the key writes as it stands.
		default:
			key = append(key, sql[rs:re]...)
			if space && len(key) > 0 {
				key = append(key, ' ')
			}
			rs = i
		}
		re = j
		space = false
	}
	// mark adds the marker m of a literal that ends at j.
	mark := func(m string, j int) {
		key = append(key, sql[rs:re]...)
		if space && len(key) > 0 {
			key = append(key, ' ')
		}
		key = append(key, m...)
		rs, re = j, j
		space = false
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
		// The classes of the cases below do not overlap: the two most
		// common ones are tried first, by one table load.
		switch cl := byteClasses[c]; {
		case cl&classIdentStart != 0:
			j := i + 1
			for j < len(sql) && byteClasses[sql[j]]&classIdent != 0 {
				j++
			}
			if j < len(sql) && sql[j] == '&' {
				// A string prefix (U&''): anything but a single-letter
				// prefix of the quote case gives up.
				return shape{}, false
			}
			tok(i, j)
			partHasCode = true
			i = j
			continue
		case cl&classSpace != 0:
			space = true
			i++
			continue
		}
		switch {
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
				return shape{}, false
			}
			i = end
			space = true
		case c == '\'':
			if i > 0 && isIdentChar(sql[i-1]) {
				// A prefixed string: E'..', B'..', X'..', N'..'. Only
				// a lone prefix letter is understood.
				p := sql[i-1] | 0x20
				if i >= 2 && isIdentChar(sql[i-2]) || (p != 'e' && p != 'b' && p != 'x' && p != 'n') {
					return shape{}, false
				}
				if p == 'e' {
					return shape{}, false // backslash escapes: leave to the parser
				}
			}
			j, ok := quotedEnd(sql, i)
			if !ok {
				return shape{}, false
			}
			if continuesString(sql, j) {
				return shape{}, false
			}
			mark(markString, j)
			lits = append(lits, lit{off: i, raw: sql[i:j]})
			partHasCode = true
			i = j
		case c == '"':
			j, ok := quotedEnd(sql, i)
			if !ok {
				return shape{}, false
			}
			tok(i, j)
			partHasCode = true
			i = j
		case c == '$':
			if i > 0 && isIdentChar(sql[i-1]) {
				return shape{}, false // handled inside identifiers; should not happen
			}
			j := i + 1
			if j < len(sql) && isDigit(sql[j]) {
				for j < len(sql) && isDigit(sql[j]) {
					j++
				}
				if j < len(sql) && isIdentChar(sql[j]) {
					return shape{}, false
				}
				tok(i, j)
				partHasCode = true
				i = j
				continue
			}
			for j < len(sql) && sql[j] != '$' && (isIdentChar(sql[j])) {
				j++
			}
			if j >= len(sql) || sql[j] != '$' {
				return shape{}, false
			}
			tag := sql[i : j+1]
			if len(tag) > 2 && isDigit(tag[1]) {
				return shape{}, false
			}
			end := strings.Index(sql[j+1:], tag)
			if end < 0 {
				return shape{}, false
			}
			mark(markString, j+1+end+len(tag))
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
					return shape{}, false
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
					return shape{}, false // leave 1..2 and 1_000 to the parser
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
			if j < len(sql) && isIdentChar(sql[j]) {
				return shape{}, false
			}
			mark(markNumber, j)
			lits = append(lits, lit{off: i, raw: sql[i:j]})
			partHasCode = true
			i = j
		case c == ';':
			tok(i, i+1)
			endPart(i)
			i++
		case c == '\\' || c == 0:
			return shape{}, false
		default:
			tok(i, i+1)
			partHasCode = true
			i++
		}
	}
	endPart(len(sql))
	key = append(key, sql[rs:re]...)
	sc.key, sc.parts, sc.lits = key, parts, lits // grown room, for the next scan
	return shape{key: key, parts: parts, lits: lits}, true
}

// quotedEnd returns the end of the quoted string or identifier that starts
// at sql[i] (its quote character, doubled inside), or false when it is not
// closed.
func quotedEnd(sql string, i int) (int, bool) {
	q := sql[i]
	j := i + 1
	for {
		k := strings.IndexByte(sql[j:], q)
		if k < 0 {
			return 0, false
		}
		j += k + 1
		if j < len(sql) && sql[j] == q {
			j++
			continue
		}
		return j, true
	}
}
