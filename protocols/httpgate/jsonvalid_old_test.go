package httpgate

// The JSON validator as it was before its strings were read eight bytes
// at a time: validJSONOld and its helpers are the oracle the fast
// validator is held to (TestValidJSONAgreesWithOld).

// validJSONOld reports whether doc is one JSON text, exactly as json.Valid
// does (strings are not checked for valid UTF-8 by either; nesting is
// bounded alike), without its state machine's call per byte, which cost
// more than the rest of the secret search. It allocates nothing below 64
// levels of nesting.
func validJSONOld(doc []byte) bool {
	var small [64]byte
	open := small[:0] // the opening bracket of each container not yet closed
	i := 0
	for {
		// A value starts at i.
		i = skipJSONSpaceOld(doc, i)
		if i >= len(doc) {
			return false
		}
		switch c := doc[i]; {
		case c == '{' || c == '[':
			if len(open) == maxNesting {
				return false
			}
			open = append(open, c)
			i = skipJSONSpaceOld(doc, i+1)
			if i < len(doc) && doc[i] == c+2 { // '{'+2 is '}', '['+2 is ']'
				open = open[:len(open)-1]
				i++
				break
			}
			if c == '{' {
				if i = jsonKeyEndOld(doc, i); i < 0 {
					return false
				}
			}
			continue // to the container's first value
		case c == '"':
			i = jsonStringEndOld(doc, i)
		case c == '-' || '0' <= c && c <= '9':
			i = jsonNumberEndOld(doc, i)
		case c == 't':
			i = literalEndOld(doc, i, "true")
		case c == 'f':
			i = literalEndOld(doc, i, "false")
		case c == 'n':
			i = literalEndOld(doc, i, "null")
		default:
			return false
		}
		if i < 0 {
			return false
		}
		// A value ended at i: containers close, or the next value
		// follows a comma.
		for {
			i = skipJSONSpaceOld(doc, i)
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
				if i = jsonKeyEndOld(doc, skipJSONSpaceOld(doc, i)); i < 0 {
					return false
				}
			}
			break
		}
	}
}

// skipJSONSpaceOld returns the index of the first byte at or after doc[i]
// that is not JSON whitespace.
func skipJSONSpaceOld(doc []byte, i int) int {
	// Every whitespace byte is at most ' ': most bytes are out at the
	// first comparison.
	for i < len(doc) && doc[i] <= ' ' && (doc[i] == ' ' || doc[i] == '\n' || doc[i] == '\r' || doc[i] == '\t') {
		i++
	}
	return i
}

// jsonKeyEndOld returns the index after the ':' that follows the object key
// at doc[i], or -1.
func jsonKeyEndOld(doc []byte, i int) int {
	if i >= len(doc) || doc[i] != '"' {
		return -1
	}
	if i = jsonStringEndOld(doc, i); i < 0 {
		return -1
	}
	if i = skipJSONSpaceOld(doc, i); i >= len(doc) || doc[i] != ':' {
		return -1
	}
	return i + 1
}

// plainStringByteOld marks the bytes a JSON string holds as they are: not a
// control character, a quote or a backslash.
var plainStringByteOld = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// jsonStringEndOld returns the index after the string whose opening quote is
// doc[i], or -1 when it is not a valid string.
func jsonStringEndOld(doc []byte, i int) int {
	j := i + 1
	for {
		for j < len(doc) && plainStringByteOld[doc[j]] {
			j++
		}
		if j >= len(doc) {
			return -1
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

// jsonNumberEndOld returns the index after the number at doc[i] (RFC 8259:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?), or -1.
func jsonNumberEndOld(doc []byte, i int) int {
	if doc[i] == '-' {
		i++
	}
	switch {
	case i < len(doc) && doc[i] == '0':
		i++
	case i < len(doc) && '1' <= doc[i] && doc[i] <= '9':
		i = digitsEndOld(doc, i+1)
	default:
		return -1
	}
	if i < len(doc) && doc[i] == '.' {
		j := digitsEndOld(doc, i+1)
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
		j := digitsEndOld(doc, i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}

func digitsEndOld(doc []byte, i int) int {
	for i < len(doc) && '0' <= doc[i] && doc[i] <= '9' {
		i++
	}
	return i
}

// literalEndOld returns the index after lit at doc[i], or -1.
func literalEndOld(doc []byte, i int, lit string) int {
	if len(doc)-i < len(lit) || string(doc[i:i+len(lit)]) != lit {
		return -1
	}
	return i + len(lit)
}
