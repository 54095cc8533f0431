package mask

import "bytes"

// The value of an assignment and the bytes around it. A reviewer once read
// "Authorization: [PASSWORD_ASSIGNMENT]]": the value "[secret]" ran to the
// bracket that closed it, so its opening bracket went into the
// replacement and its closing one stayed. And `password=\"hunter2\"` (an
// assignment inside a JSON string or a shell's double quotes) masked
// only the backslash. A value written between delimiters — quotes, quotes
// escaped with backslashes, brackets [ ] ( ) { } < > — is masked between
// them, and the delimiters are kept, after an authentication scheme
// ("Bearer", "Basic") too.

// maxEscapes bounds the backslashes before an escaped quote (\" in JSON,
// \\\" in JSON inside JSON).
const maxEscapes = 8

// authSchemes are the schemes of an Authorization value kept before the
// credential.
var authSchemes = []string{"bearer ", "basic ", "token ", "digest "}

// assignmentValue returns the span of the value that begins at t[j], right
// after an assignment's separator and the white space after it.
func assignmentValue(s *scan, j int) (span, bool) {
	t := s.t
	if sp, ok, done := delimitedValue(s, j); done {
		return sp, ok
	}
	// "Authorization: Bearer <token>": mask the credential, keep the scheme.
	for _, scheme := range authSchemes {
		if len(t)-j > len(scheme) && bytes.EqualFold(t[j:j+len(scheme)], []byte(scheme)) {
			j += len(scheme)
			if sp, ok, done := delimitedValue(s, j); done {
				return sp, ok
			}
			break
		}
	}
	start := j
	j = s.valueEnd(start)
	return valueSpan(s, start, j)
}

// valueSpan is the span [start, end) of a value, unless it is empty or
// already a mask token; beyond maxAssignment it is overlong.
func valueSpan(s *scan, start, end int) (span, bool) {
	t := s.t
	if end-start > maxAssignment {
		return span{start: start, end: start + maxAssignment, overlong: true}, true
	}
	if end <= start || s.eng.isMaskToken(t[start:end]) {
		return span{}, false
	}
	return span{start: start, end: end}, true
}

// delimitedValue reads a value that begins with an opening delimiter at
// t[j]. done is false when none begins there.
func delimitedValue(s *scan, j int) (sp span, ok, done bool) {
	t := s.t
	if c := at(t, j); c == '$' || at(t, j+1) == '\'' || at(t, j+1) == '&' {
		// SQL's dollar quotes and prefixed strings ($$x$$, E'x', U&'x').
		if c != '\'' && c != '"' && sqlStringStart(t, j) {
			sp, ok = sqlStringAt(s, j)
			return sp, ok, true
		}
	}
	n := 0
	for n < maxEscapes && at(t, j+n) == '\\' {
		n++
	}
	switch q := at(t, j+n); {
	case q == '"' || q == '\'' || q == '`':
		if n == 0 {
			sp, ok = quotedValue(s, j+1, q)
		} else {
			sp, ok = escapedQuotedValue(s, j+n+1, q)
		}
		return sp, ok, true
	case n > 0:
		return span{}, false, false
	}
	var closer byte
	switch at(t, j) {
	case '[':
		if k := bytes.IndexByte(t[j:min(len(t), j+2*maxLabel)], ']'); k > 0 && s.eng.isMaskToken(t[j:j+k+1]) {
			return span{}, false, true // already masked: [PASSWORD_ASSIGNMENT]
		}
		closer = ']'
	case '(':
		closer = ')'
	case '{':
		closer = '}'
	case '<':
		if e, ok := startTagEnd(t, j); ok && s.valueEnd(e) > e {
			// An element: <value>hunter2</value>. The value is its text;
			// the tags stay.
			sp, ok = valueSpan(s, e, s.valueEnd(e))
			return sp, ok, true
		}
		closer = '>'
	default:
		return span{}, false, false
	}
	start := j + 1
	e := min(s.closerEnd(start, closer), start+maxAssignment+1)
	if at(t, e) != closer {
		// Not closed on its line: the value runs as an unquoted one.
		e = s.valueEnd(start)
	} else if at(t, start) == '[' && s.eng.isMaskToken(t[start:e+1]) {
		return span{}, false, true // [[PASSWORD_ASSIGNMENT]]: masked before
	}
	sp, ok = valueSpan(s, start, e)
	return sp, ok, true
}

// startTagEnd returns the index after the start tag (a name of letters,
// digits, '-', ':' or '_' after a letter, then attributes) that begins at
// t[j], on one line and within maxLabel*4 bytes.
func startTagEnd(t []byte, j int) (int, bool) {
	k := j + 1
	if !is(at(t, k), clUpper|clLower) {
		return 0, false
	}
	for is(at(t, k), clWord) || at(t, k) == '-' || at(t, k) == ':' {
		k++
	}
	if c := at(t, k); c != '>' && c != ' ' && c != '\t' {
		return 0, false
	}
	var q byte
	for ; k < len(t) && k-j < 4*maxLabel && t[k] != '\n'; k++ {
		switch c := t[k]; {
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '"' || c == '\'':
			q = c
		case c == '>':
			return k + 1, true
		}
	}
	return 0, false
}

// maxLabel bounds the length of a mask token looked for after '['.
const maxLabel = 48

// quotedValue reads a value in quotes q that begins at t[start], up to the
// closing quote or the end of the line; a backslash escapes the next byte.
func quotedValue(s *scan, start int, q byte) (span, bool) {
	t := s.t
	j := start
	for j < len(t) && t[j] != q && t[j] != '\n' && j-start <= maxAssignment {
		if t[j] == '\\' {
			j++
		}
		j++
	}
	return valueSpan(s, start, min(j, len(t)))
}

// escapedQuotedValue reads a value in escaped quotes (\"...\") that begins
// at t[start], up to the backslashes of the closing quote or the end of
// the line.
func escapedQuotedValue(s *scan, start int, q byte) (span, bool) {
	t := s.t
	j := start
	for j < len(t) && t[j] != q && t[j] != '\n' && j-start <= maxAssignment {
		j++
	}
	e := j
	if at(t, j) == q {
		for e > start && t[e-1] == '\\' {
			e--
		}
	}
	return valueSpan(s, start, e)
}

// escapedBreak reports whether the backslash at t[i] begins an escape that
// ends an unquoted value inside a string: an escaped quote (\" or \\\" as
// JSON in JSON writes it) or an escaped line break or tab (\n, \r, \t).
// The value is masked up to it and the escape is kept, so the string
// stays well-formed.
func escapedBreak(t []byte, i int) bool {
	switch at(t, i+1) {
	case 'n', 'r', 't':
		return true
	}
	j := i
	for j < len(t) && j-i < maxEscapes && t[j] == '\\' {
		j++
	}
	return at(t, j) == '"' || at(t, j) == '\''
}

// closerEnd returns the first index at or after i of closer or a line
// break (or len(t)), remembered as valueEnd's answer is: a run of
// "password=[password=[..." is walked once, not once per keyword hit.
func (s *scan) closerEnd(i int, closer byte) int {
	if s.clOK && s.clByte == closer && i >= s.clFrom && i <= s.clEnd {
		return s.clEnd
	}
	j := i
	for j < len(s.t) && s.t[j] != closer && s.t[j] != '\n' {
		j++
	}
	s.clFrom, s.clEnd, s.clByte, s.clOK = i, j, closer, true
	return j
}
