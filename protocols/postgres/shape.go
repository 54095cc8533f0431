package postgres

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// shape is a SQL text with its literals stripped: the cache key of a
// classification, and the text's top-level statements.
//
// The scan is deliberately conservative. Two texts with the same key must
// differ only in the contents of literals, so anything the scanner does not
// understand with certainty (a backslash outside a string, an unknown string
// prefix, digits glued to letters, an unterminated literal or comment) makes
// it give up, and the text is classified by the parser instead.
type shape struct {
	key   string
	parts []string // top-level statements, trimmed, empty ones dropped
}

// maxShapeLen bounds the texts the cache considers.
const maxShapeLen = 16 << 10

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isIdentChar(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9' || c == '$'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// shapeOf scans sql; ok is false when the scanner gives up.
func shapeOf(sql string) (shape, bool) {
	if len(sql) > maxShapeLen || !utf8.ValidString(sql) || strings.IndexByte(sql, 0) >= 0 {
		return shape{}, false
	}
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
		case isSpace(c):
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
			depth := 0
			j := i
			for j < len(sql) {
				if j+1 < len(sql) && sql[j] == '/' && sql[j+1] == '*' {
					depth++
					j += 2
				} else if j+1 < len(sql) && sql[j] == '*' && sql[j+1] == '/' {
					depth--
					j += 2
					if depth == 0 {
						break
					}
				} else {
					j++
				}
			}
			if depth != 0 {
				return shape{}, false
			}
			i = j
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
			j := i + 1
			for {
				k := strings.IndexByte(sql[j:], '\'')
				if k < 0 {
					return shape{}, false
				}
				j += k + 1
				if j < len(sql) && sql[j] == '\'' {
					j++
					continue
				}
				break
			}
			emit("?")
			partHasCode = true
			i = j
		case c == '"':
			j := i + 1
			for {
				k := strings.IndexByte(sql[j:], '"')
				if k < 0 {
					return shape{}, false
				}
				j += k + 1
				if j < len(sql) && sql[j] == '"' {
					j++
					continue
				}
				break
			}
			emit(sql[i:j])
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
				emit(sql[i:j])
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
			emit("?")
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
			// The grammar tells integer constants that fit 32 bits from
			// other numbers (FETCH 3 parses, FETCH 3.5 does not), so the
			// key does too; strings are "?".
			emit(numberClass(sql[i:j]))
			partHasCode = true
			i = j
		case isIdentStart(c):
			j := i
			for j < len(sql) && isIdentChar(sql[j]) {
				j++
			}
			if j < len(sql) && (sql[j] == '\'' || sql[j] == '&') {
				// A string prefix (E'', U&''): handled by the quote case
				// for single letters; anything else gives up.
				if sql[j] == '&' {
					return shape{}, false
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
			return shape{}, false
		default:
			emit(sql[i : i+1])
			partHasCode = true
			i++
		}
	}
	endPart(len(sql))
	return shape{key: key.String(), parts: parts}, true
}

// numberClass is the placeholder of a numeric literal: "#" for an integer
// the scanner makes an ICONST (it fits in 32 bits), "#f" for any other.
func numberClass(lit string) string {
	base, digits := 10, lit
	if len(lit) > 2 && lit[0] == '0' {
		switch lit[1] | 0x20 {
		case 'x':
			base, digits = 16, lit[2:]
		case 'o':
			base, digits = 8, lit[2:]
		case 'b':
			base, digits = 2, lit[2:]
		}
	}
	if base == 10 && strings.ContainsAny(lit, ".eE") {
		return "#f"
	}
	if v, err := strconv.ParseInt(digits, base, 64); err == nil && v <= math.MaxInt32 {
		return "#"
	}
	return "#f"
}
