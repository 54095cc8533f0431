package gate

import (
	"regexp"
	"strings"
)

// passwordWord finds the SQL keyword PASSWORD followed by white space, where
// a literal password follows in ALTER/CREATE ROLE and USER statements.
var passwordWord = regexp.MustCompile(`(?i)\bpassword\s+`)

// maskSQLPasswords replaces the literal after every PASSWORD keyword of s
// with '[SECRET]' (displaySecret, which the masker leaves alone): '...'
// (with ” inside), E'...' (with backslash escapes) and dollar-quoted $tag$...$tag$ strings. A literal that does not end
// masks the rest of the text. Reviews show statements masked this way even
// when the protocol did not list the password in Request.Secrets.
func maskSQLPasswords(s string) string {
	if !strings.Contains(strings.ToLower(s), "password") {
		return s
	}
	var b strings.Builder
	pos := 0
	for _, m := range passwordWord.FindAllStringIndex(s, -1) {
		if m[0] < pos {
			continue
		}
		start := m[1]
		end := literalEnd(s, start)
		if end < 0 {
			continue
		}
		b.WriteString(s[pos:start])
		b.WriteString("'" + displaySecret + "'")
		pos = end
	}
	b.WriteString(s[pos:])
	return b.String()
}

// literalEnd returns the end of the SQL string literal starting at i, the
// length of s when it does not end, or -1 when none starts there.
func literalEnd(s string, i int) int {
	if i >= len(s) {
		return -1
	}
	switch {
	case s[i] == '\'' || (s[i] == 'e' || s[i] == 'E') && i+1 < len(s) && s[i+1] == '\'':
		escapes := s[i] != '\''
		if escapes {
			i++
		}
		for j := i + 1; j < len(s); j++ {
			switch {
			case escapes && s[j] == '\\':
				j++
			case s[j] == '\'' && j+1 < len(s) && s[j+1] == '\'':
				j++
			case s[j] == '\'':
				return j + 1
			}
		}
		return len(s)
	case s[i] == '$':
		k := strings.IndexByte(s[i+1:], '$')
		if k < 0 {
			return -1
		}
		tag := s[i : i+k+2]
		if e := strings.Index(s[i+len(tag):], tag); e >= 0 {
			return i + len(tag) + e + len(tag)
		}
		return len(s)
	}
	return -1
}
