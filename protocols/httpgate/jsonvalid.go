package httpgate

import (
	"encoding/binary"
	"math/bits"
)

// maxNesting is encoding/json's bound on nested arrays and objects: a text
// that opens more at once is not valid to json.Valid.
const maxNesting = 10000

// validJSON reports whether doc is one JSON text, exactly as json.Valid
// does (strings are not checked for valid UTF-8 by either; nesting is
// bounded alike), without its state machine's call per byte, which cost
// more than the rest of the secret search. It allocates nothing below 64
// levels of nesting.
func validJSON(doc []byte) bool {
	var small [64]byte
	open := small[:0] // the opening bracket of each container not yet closed
	i := 0
	for {
		// A value starts at i.
		i = skipJSONSpace(doc, i)
		if i >= len(doc) {
			return false
		}
		switch c := doc[i]; {
		case c == '"':
			i = jsonStringEnd(doc, i)
		case c == '{' || c == '[':
			if len(open) == maxNesting {
				return false
			}
			open = append(open, c)
			i = skipJSONSpace(doc, i+1)
			if i < len(doc) && doc[i] == c+2 { // '{'+2 is '}', '['+2 is ']'
				open = open[:len(open)-1]
				i++
				break
			}
			if c == '{' {
				if i = jsonKeyEnd(doc, i); i < 0 {
					return false
				}
			}
			continue // to the container's first value
		case c == '-' || '0' <= c && c <= '9':
			i = jsonNumberEnd(doc, i)
		case c == 't':
			i = literalEnd(doc, i, "true")
		case c == 'f':
			i = literalEnd(doc, i, "false")
		case c == 'n':
			i = literalEnd(doc, i, "null")
		default:
			return false
		}
		if i < 0 {
			return false
		}
		// A value ended at i: containers close, or the next value
		// follows a comma.
		for {
			i = skipJSONSpace(doc, i)
			if len(open) == 0 {
				return i == len(doc)
			}
			if i >= len(doc) {
				return false
			}
			top := open[len(open)-1]
			if doc[i] == top+2 {
				open = open[:len(open)-1]
				i++
				continue
			}
			if doc[i] != ',' {
				return false
			}
			i++
			if top == '{' {
				if i = jsonKeyEnd(doc, skipJSONSpace(doc, i)); i < 0 {
					return false
				}
			}
			break
		}
	}
}

// skipJSONSpace returns the index of the first byte at or after doc[i]
// that is not JSON whitespace.
func skipJSONSpace(doc []byte, i int) int {
	// Every whitespace byte is at most ' ': most bytes are out at the
	// first comparison.
	for i < len(doc) && doc[i] <= ' ' && (doc[i] == ' ' || doc[i] == '\n' || doc[i] == '\r' || doc[i] == '\t') {
		i++
	}
	return i
}

// jsonKeyEnd returns the index after the ':' that follows the object key
// at doc[i], or -1.
func jsonKeyEnd(doc []byte, i int) int {
	if i >= len(doc) || doc[i] != '"' {
		return -1
	}
	if i = jsonStringEnd(doc, i); i < 0 {
		return -1
	}
	if i < len(doc) && doc[i] == ':' { // nearly always: no space before it
		return i + 1
	}
	if i = skipJSONSpace(doc, i); i >= len(doc) || doc[i] != ':' {
		return -1
	}
	return i + 1
}

// plainStringByte marks the bytes a JSON string holds as they are: not a
// control character, a quote or a backslash.
var plainStringByte = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// lows has 0x01 in each byte of a word (eight bytes, the first the
// lowest); highs has 0x80 in each.
const (
	lows  = 0x0101010101010101
	highs = 0x80 * lows
)

// stringStops returns w, eight bytes of a JSON string, with 0x80 in the
// first byte that is not plain (plainStringByte: a quote, a backslash or
// a control character), 0 in every byte before it (bytes after it may be
// marked or not), and 0 when every byte is plain. A byte b is zero
// exactly when b-1 borrows into its top bit while b's top bit is clear;
// a borrow out of a byte happens only when it is zero, so no byte is
// marked wrongly before the first that is marked rightly. Below 0x20
// likewise: b-0x20 borrows into a clear top bit.
func stringStops(w uint64) uint64 {
	quote := w ^ '"'*lows
	backslash := w ^ '\\'*lows
	return ((quote-lows)&^quote | (backslash-lows)&^backslash | (w-0x20*lows)&^w) & highs
}

// jsonStringEnd returns the index after the string whose opening quote is
// doc[i], or -1 when it is not a valid string.
func jsonStringEnd(doc []byte, i int) int {
	j := i + 1
	for {
		// j moves to the first byte that is not plain: eight bytes at
		// a time while eight are left, then byte by byte.
		if j+8 <= len(doc) {
			m := stringStops(binary.LittleEndian.Uint64(doc[j:]))
			if m == 0 {
				j += 8
				continue
			}
			j += bits.TrailingZeros64(m) >> 3
		} else {
			for j < len(doc) && plainStringByte[doc[j]] {
				j++
			}
			if j >= len(doc) {
				return -1
			}
		}
		switch doc[j] {
		case '"':
			return j + 1
		case '\\':
			if j+1 >= len(doc) {
				return -1
			}
			switch doc[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				if j+6 > len(doc) || !isHex(doc[j+2]) || !isHex(doc[j+3]) || !isHex(doc[j+4]) || !isHex(doc[j+5]) {
					return -1
				}
				j += 6
			default:
				return -1
			}
		default: // a control character
			return -1
		}
	}
}

// jsonNumberEnd returns the index after the number at doc[i] (RFC 8259:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?), or -1.
func jsonNumberEnd(doc []byte, i int) int {
	if doc[i] == '-' {
		i++
	}
	switch {
	case i < len(doc) && doc[i] == '0':
		i++
	case i < len(doc) && '1' <= doc[i] && doc[i] <= '9':
		i = digitsEnd(doc, i+1)
	default:
		return -1
	}
	if i >= len(doc) || doc[i] != '.' && doc[i]|0x20 != 'e' {
		return i // an integer: nearly every number
	}
	if doc[i] == '.' {
		j := digitsEnd(doc, i+1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(doc) && (doc[i] == 'e' || doc[i] == 'E') {
		i++
		if i < len(doc) && (doc[i] == '+' || doc[i] == '-') {
			i++
		}
		j := digitsEnd(doc, i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}

func digitsEnd(doc []byte, i int) int {
	for i < len(doc) && '0' <= doc[i] && doc[i] <= '9' {
		i++
	}
	return i
}

// literalEnd returns the index after lit at doc[i], or -1.
func literalEnd(doc []byte, i int, lit string) int {
	if len(doc)-i < len(lit) || string(doc[i:i+len(lit)]) != lit {
		return -1
	}
	return i + len(lit)
}
