package shell

import (
	"strconv"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
)

// Start-up names spelt in code the analysis does not see as commands
// (python -c '...', a here-document fed to an interpreter). The name may
// be hidden behind quoting at two levels: the shell's ('.bash''rc',
// \"y.git/config\", $'\x2ebashrc', .bash\rc unquoted) and the language's
// (string literals joined by juxtaposition, + or .: '.bash' "rc"; escapes
// in a literal: "\x2ebashrc", "\056bashrc"). Each command's words are
// taken after the shell's quote removal (the package's own expansion),
// and each rendering of the text, raw and words alike, is also read with
// literal boundaries joined and escapes decoded (or dropped), so every
// combination is seen. A word the shell can only expand at run time
// ($x, $(...), `...`) counts when its known text before the expansion
// is a start-up directory (~/.ssh/$x) or the start of a start-up name
// (.bash$x): fail closed on what cannot be expanded statically.

// lineMentionsStartup is mentionsStartup over every rendering of s: its
// text, and the words of each of its commands (a git clone's source left
// out: cloneSourceTokens).
func lineMentionsStartup(s *gate.SSH) (string, bool) {
	skip := cloneSourceTokens(s)
	for _, text := range codeRenderings(s.Command) {
		if w, ok := mentionsStartup(text, copyCounts(skip)); ok {
			return w, true
		}
	}
	for _, c := range s.Commands {
		src := cloneSource(c)
		for k, a := range append([]string{c.Program}, c.Args...) {
			if k-1 == src && src >= 0 {
				continue
			}
			for _, text := range codeRenderings(a) {
				if w, ok := mentionsStartup(text, nil); ok {
					return w, true
				}
			}
		}
	}
	return "", false
}

// copyCounts copies a token count map.
func copyCounts(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// codeRenderings returns text as written, with string literals joined
// where they touch or are concatenated (joinLiterals) and backslashes
// dropped, and the same with backslash escapes decoded.
func codeRenderings(text string) []string {
	joined := joinLiterals(text)
	out := []string{text, dropBackslashes(joined)}
	if strings.Contains(text, `\`) {
		out = append(out, decodeEscapes(joined))
	}
	return out
}

// joinLiterals removes the quotes of the string literals in code, and
// joins two literals separated only by blanks and one + or . (Python's
// and C's juxtaposition, +, Perl's and PHP's .); other literals are set
// apart by a blank. A quote escaped by a backslash does not end a
// literal.
func joinLiterals(code string) string {
	var b strings.Builder
	quote := byte(0)
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case quote == 0 && (c == '\'' || c == '"'):
			quote = c
		case quote != 0 && c == '\\' && i+1 < len(code):
			b.WriteByte(c)
			i++
			b.WriteByte(code[i])
		case quote != 0 && c == quote:
			quote = 0
			k := i + 1
			for k < len(code) && (code[k] == ' ' || code[k] == '\t') {
				k++
			}
			if k < len(code) && (code[k] == '+' || code[k] == '.') {
				k++
				for k < len(code) && (code[k] == ' ' || code[k] == '\t') {
					k++
				}
			}
			if k < len(code) && (code[k] == '\'' || code[k] == '"') {
				quote = code[k]
				i = k
				continue
			}
			b.WriteByte(' ')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// dropBackslashes removes each backslash, keeping the character after it
// (the shell's quote removal outside quotes).
func dropBackslashes(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// decodeEscapes decodes C-style escapes (\xHH, \NNN octal, \uHHHH,
// \UHHHHHHHH and the one-letter ones) as $'...', printf, Python, Perl
// and the rest read them; an unknown escape keeps its character.
func decodeEscapes(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		c := s[i]
		digits, base := 0, 0
		switch {
		case c == 'x':
			digits, base = 2, 16
		case c == 'u':
			digits, base = 4, 16
		case c == 'U':
			digits, base = 8, 16
		case c >= '0' && c <= '7':
			digits, base = 3, 8
			i-- // the digit is part of the number
		}
		if base == 0 {
			if r, ok := map[byte]byte{'n': '\n', 't': '\t', 'r': '\r', 'a': 7, 'b': 8, 'f': 12, 'v': 11, 'e': 27}[c]; ok {
				c = r
			}
			b.WriteByte(c)
			continue
		}
		n := 0
		for n < digits && i+1+n < len(s) && strings.IndexByte("0123456789abcdefABCDEF"[:base+max(0, base-10)], s[i+1+n]) >= 0 {
			n++
		}
		v, err := strconv.ParseUint(s[i+1:i+1+n], base, 32)
		if n == 0 || err != nil {
			b.WriteByte(c)
			continue
		}
		b.WriteRune(rune(v))
		i += n
	}
	return b.String()
}

// mentionsStartup reports the first token of a command line's text
// (lineTokens) that is a start-up path, or that spells one up to an
// expansion (expansionMayBeStartup), leaving out as many occurrences of
// each token as skip counts (git clone sources: cloneSourceTokens).
func mentionsStartup(text string, skip map[string]int) (string, bool) {
	for _, t := range lineTokens(text) {
		if skip[t] > 0 {
			skip[t]--
			continue
		}
		// A relative name in code run from the login directory is in the
		// home directory (bin/ls is ~/bin/ls): homeAnchored.
		if !strings.ContainsAny(t, "*?") && (StartupPath(t) || homeAnchored(t, loginDir)) || expansionMayBeStartup(t) {
			return t, true
		}
	}
	return "", false
}

// loginDir is the working directory a line starts in, as lineDirs spells
// it.
var loginDir = []string{"."}

// expansionMayBeStartup reports whether a token holding an expansion the
// gate cannot do ($x, $(...), `...`) may be a start-up path by its text
// before the expansion: a start-up directory (~/.ssh/$x, .git/$h) or the
// start of a start-up name (.bash$x).
func expansionMayBeStartup(t string) bool {
	t = cleanHome(t)
	for _, i := range []int{strings.IndexAny(t, "$`"), strings.LastIndexAny(t, "$`")} {
		if i > 0 && headMayBeStartup(t[:i]) {
			return true
		}
	}
	return false
}

// headMayBeStartup reports whether head, the known text before an
// expansion, is a start-up directory followed by a slash, or ends in
// the start of a start-up name.
func headMayBeStartup(head string) bool {
	if strings.HasSuffix(head, "/") && StartupPath(strings.TrimSuffix(head, "/")) {
		return true
	}
	last := head[strings.LastIndexByte(head, '/')+1:]
	if len(last) < 2 || last[0] != '.' {
		return false
	}
	for n := range startupNames {
		if strings.HasPrefix(n, last) {
			return true
		}
	}
	return false
}
