package mask

import "bytes"

// SQL's string literals. A password set by a statement may stand in any
// of them: '…' (a quote doubled inside), MySQL's "…", PostgreSQL's
// dollar quotes ($$…$$, $tag$…$tag$, over lines), and the prefixed
// forms E'…' (backslash escapes), U&'…' and N'…' (closed on their line). Each is read to its
// closing delimiter, so that a quote character inside (a doubled '', an
// escaped \') does not end the value early.

// sqlStringAt reads the SQL string literal that opens at t[j]: it returns
// the span of its content, and false when none opens there. A quoted
// literal not closed runs to the end of its line; a dollar quote not
// closed within maxAssignment is no quote, and the value runs as an
// unquoted one.
func sqlStringAt(s *scan, j int) (span, bool) {
	t := s.t
	switch c := at(t, j); {
	case c == '$':
		k := dollarTagEnd(t, j)
		if k < 0 {
			return span{}, false
		}
		tag := t[j:k]
		lim := min(len(t), k+maxAssignment+len(tag))
		if e := bytes.Index(t[k:lim], tag); e >= 0 {
			return valueSpan(s, k, k+e)
		}
		// Not closed within the bound: no dollar quote ("$ab$cd" is a
		// password); the value runs as an unquoted one.
		return valueSpan(s, j, s.valueEnd(j))
	case c == '\'' || c == '"':
		return nonEmpty(sqlQuoted(s, j+1, c, false))
	case (c|0x20 == 'e') && at(t, j+1) == '\'':
		return nonEmpty(sqlQuoted(s, j+2, '\'', true))
	case c|0x20 == 'n' && at(t, j+1) == '\'':
		return nonEmpty(sqlQuoted(s, j+2, '\'', false))
	case c|0x20 == 'u' && at(t, j+1) == '&' && at(t, j+2) == '\'':
		return nonEmpty(sqlQuoted(s, j+3, '\'', false))
	}
	return span{}, false
}

// nonEmpty returns sp and whether it holds a value.
func nonEmpty(sp span) (span, bool) { return sp, sp.end > sp.start }

// sqlStringStart reports whether an SQL string literal opens at t[j].
func sqlStringStart(t []byte, j int) bool {
	switch c := at(t, j); {
	case c == '\'' || c == '"':
		return true
	case c == '$':
		return dollarTagEnd(t, j) > 0
	case (c|0x20 == 'e' || c|0x20 == 'n') && at(t, j+1) == '\'':
		return closesOnLine(t, j+2) && !is(at(t, j-1), clWord)
	case c|0x20 == 'u' && at(t, j+1) == '&' && at(t, j+2) == '\'':
		return closesOnLine(t, j+3) && !is(at(t, j-1), clWord)
	}
	return false
}

// closesOnLine reports whether a quote closes, on its line, the prefixed
// string whose content starts at t[i] (E'...', N'...', U&'...'): a
// letter before a quote (x') is not a string's prefix.
func closesOnLine(t []byte, i int) bool {
	for ; i < len(t) && t[i] != '\n'; i++ {
		if t[i] == '\\' {
			i++
			continue
		}
		if t[i] == '\'' {
			return true
		}
	}
	return false
}

// maxDollarTag bounds a dollar quote's tag.
const maxDollarTag = 32

// dollarTagEnd returns the end of the dollar quote's opening delimiter at
// t[j] ($$ or $tag$, the tag an identifier not starting with a digit), or
// -1.
func dollarTagEnd(t []byte, j int) int {
	if at(t, j) != '$' {
		return -1
	}
	k := j + 1
	if is(at(t, k), clDigit) {
		return -1 // $1: a bind parameter
	}
	for k < len(t) && k-j <= maxDollarTag && is(t[k], clWord) {
		k++
	}
	if at(t, k) != '$' {
		return -1
	}
	return k + 1
}

// sqlQuoted reads a literal in quotes q whose content starts at t[start]:
// a doubled quote stands for one, and with backslash (an E” string, or
// MySQL's strings) a backslash escapes the next byte. It ends at the
// closing quote or the end of the line.
func sqlQuoted(s *scan, start int, q byte, backslash bool) span {
	t := s.t
	j := start
	for j < len(t) && t[j] != '\n' && j-start <= maxAssignment {
		switch {
		case t[j] == '\\' && (backslash || q == '"'):
			j += 2
			continue
		case t[j] == q && at(t, j+1) == q:
			j += 2
			continue
		case t[j] == q:
			sp, _ := valueSpan(s, start, j)
			return sp
		}
		j++
	}
	sp, _ := valueSpan(s, start, min(j, len(t)))
	return sp
}
