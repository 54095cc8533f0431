package shell

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"mvdan.cc/sh/v3/syntax"
)

// wordValue is a shell word after quote removal, as far as it can be known
// without running anything.
type wordValue struct {
	// text is the word after quote removal; expansions appear as their source.
	text string
	// dynamic: part of the word comes from an expansion ($x, $(...), $((...)),
	// <(...)), so its value is only known at run time.
	dynamic bool
	// glob: the word contains an unquoted glob or brace pattern, so the
	// shell may replace it by other words.
	glob bool
}

// literal computes the value of w the way the shell would after quote
// removal: r”m and \rm are both rm, $'\x72m' is rm too.
//
// src is the script w was parsed from; expansions are shown as their text
// in it.
func literal(src string, w *syntax.Word) wordValue {
	var b strings.Builder
	var v wordValue
	if w == nil {
		return v
	}
	for _, part := range w.Parts {
		switch p := part.(type) {
		case *syntax.Lit:
			s, glob := unescapeUnquoted(p.Value)
			b.WriteString(s)
			v.glob = v.glob || glob
		case *syntax.SglQuoted:
			if p.Dollar {
				s, ok := ansiC(p.Value)
				if !ok {
					v.dynamic = true
				}
				b.WriteString(s)
			} else {
				b.WriteString(p.Value)
			}
		case *syntax.DblQuoted:
			for _, q := range p.Parts {
				if l, ok := q.(*syntax.Lit); ok {
					b.WriteString(unescapeDouble(l.Value))
					continue
				}
				v.dynamic = true
				b.WriteString(source(src, q))
			}
		default:
			// ParamExp, CmdSubst, ArithmExp, ProcSubst, ExtGlob, BraceExp.
			v.dynamic = true
			b.WriteString(source(src, part))
		}
	}
	v.text = b.String()
	if len(w.Parts) == 1 && v.text == "[" {
		v.glob = false // the test command [: an unmatched [ is literal
	}
	return v
}

// source returns the text of a node in src. Slicing the source, rather
// than printing the node, keeps deeply nested expansions linear in time.
func source(src string, n syntax.Node) string {
	start, end := int(n.Pos().Offset()), int(n.End().Offset())
	if !n.Pos().IsValid() || start < 0 || end > len(src) || start > end {
		return "<expansion>"
	}
	return src[start:end]
}

// unescapeUnquoted removes backslash escapes from an unquoted literal and
// reports whether an unescaped glob or brace pattern remains.
func unescapeUnquoted(s string) (string, bool) {
	if !strings.ContainsAny(s, "\\*?[{") {
		return s, false
	}
	var b strings.Builder
	glob := false
	braceOpen := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			if s[i] != '\n' {
				b.WriteByte(s[i])
			}
			continue
		case c == '*' || c == '?' || c == '[':
			glob = true
		case c == '{':
			braceOpen = true
		case c == '}' && braceOpen && s[i-1] != '{':
			// {} alone is literal to every shell (find -exec's {}).
			glob = true
		}
		b.WriteByte(c)
	}
	return b.String(), glob
}

// unescapeDouble removes the escapes that double quotes honour.
func unescapeDouble(s string) string {
	if !strings.Contains(s, "\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case '$', '`', '"', '\\':
				b.WriteByte(s[i+1])
				i++
				continue
			case '\n':
				i++
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// ansiC decodes the body of a $'...' string. It reports false for an escape
// it does not know, so the caller treats the word as dynamic.
func ansiC(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch e := s[i]; e {
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'e', 'E':
			b.WriteByte(0x1b)
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte('\v')
		case '\\', '\'', '"', '?':
			b.WriteByte(e)
		case 'c':
			if i+1 >= len(s) {
				return b.String(), false
			}
			i++
			b.WriteByte(s[i] & 0x1f)
		case 'x', 'u', 'U':
			max := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			j := i + 1
			for j < len(s) && j-i-1 < max && isHex(s[j]) {
				j++
			}
			if j == i+1 {
				return b.String(), false
			}
			n, err := strconv.ParseUint(s[i+1:j], 16, 32)
			if err != nil {
				return b.String(), false
			}
			if e == 'x' {
				b.WriteByte(byte(n))
			} else {
				if !utf8.ValidRune(rune(n)) {
					return b.String(), false
				}
				b.WriteRune(rune(n))
			}
			i = j - 1
		case '0', '1', '2', '3', '4', '5', '6', '7':
			j := i
			for j < len(s) && j-i < 3 && s[j] >= '0' && s[j] <= '7' {
				j++
			}
			n, _ := strconv.ParseUint(s[i:j], 8, 16)
			b.WriteByte(byte(n))
			i = j - 1
		default:
			return b.String(), false
		}
	}
	return b.String(), true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// texts are the words' texts.
func texts(ws []wordValue) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.text
	}
	return out
}
