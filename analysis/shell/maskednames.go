package shell

import (
	"strings"

	"github.com/airlock-sdk/airlock/gate"
	"mvdan.cc/sh/v3/syntax"
)

// File names are results too: an output masker hides a name that holds an
// e-mail address or a card in ls's output, but a command that matches
// names against a pattern the client chose answers whether a hidden name
// matches it, by what it prints (a masked name, or the pattern itself, or
// an error) and by its exit status. ls /srv/in/a*, then al*, then ali*
// spells a hidden name out a character at a time, as find -name 'a*', ls
// -I 'a*' (which hides what matches), tree -P and du --exclude do. So
// under masking, a name pattern is refused wherever it is: a glob in a
// word (a path component with *, ? or a [ ] class, an extended glob) but
// one that matches every name (* and .* alone), find's name tests, and
// the pattern options of ls, tree and du. A path given whole still says
// whether it exists, but only for the whole value guessed at once.

// namePattern reports the first name pattern of s (see above).
func namePattern(s *gate.SSH) (string, bool) {
	return namePatternIn(s, parseLine(s.Command))
}

// namePatternIn is namePattern with s's line parsed (nil: it does not
// parse).
func namePatternIn(s *gate.SSH, f *syntax.File) (string, bool) {
	for i := range s.Commands {
		c := &s.Commands[i]
		prog := c.Program
		if j := strings.LastIndexByte(prog, '/'); j >= 0 {
			prog = prog[j+1:]
		}
		if prog == "find" {
			for _, a := range c.Args {
				if findNameTests[a] {
					return "find " + a + ", which tells whether a name matches a pattern", true
				}
			}
		}
	}
	return globIn(f)
}

// findNameTests are find's tests of a name or path against a pattern.
var findNameTests = setOf(`-name -iname -path -ipath -wholename -iwholename -regex -iregex -lname -ilname`)

// parseLine parses a command line as bash; nil when it does not parse.
func parseLine(line string) *syntax.File {
	f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(line), "")
	if err != nil {
		return nil
	}
	return f
}

// globIn reports the first word of a parsed line the shell would match
// against file names with a pattern that does not match every name. A
// line that does not parse (nil) counts.
func globIn(f *syntax.File) (string, bool) {
	return firstGlobWord(f, func(w *syntax.Word) string {
		if wordMatchesSome(w) {
			return "the name pattern " + wordText(w)
		}
		return ""
	})
}

// firstGlobWord reports the first extended glob of a parsed line, or its
// first word that describe describes (a non-empty description), as
// describe put it. Quoted parts and expansions inside a word are not
// walked: they are not matched as written, and expansions are judged
// elsewhere. A line that does not parse (nil) counts.
func firstGlobWord(f *syntax.File, describe func(*syntax.Word) string) (string, bool) {
	if f == nil {
		return "a line the gate cannot read", true
	}
	var what string
	syntax.Walk(f, func(n syntax.Node) bool {
		if what != "" {
			return false
		}
		switch n := n.(type) {
		case *syntax.ExtGlob:
			what = "the extended glob " + n.Op.String() + n.Pattern.Value + ")"
		case *syntax.Word:
			what = describe(n)
			return what == ""
		}
		return true
	})
	return what, what != ""
}

// wordMatchesSome reports whether w, unquoted parts read as the shell
// reads them, is a glob with a path component that does not match every
// name.
func wordMatchesSome(w *syntax.Word) bool {
	marked, glob := globComponents(w)
	if !glob {
		return false
	}
	for comp := range strings.SplitSeq(marked, "/") {
		if !strings.ContainsRune(comp, 0) {
			continue
		}
		if comp != "\x00*" && comp != ".\x00*" {
			return true
		}
	}
	return false
}

// globComponents returns w's text with the glob characters of its
// unquoted literals marked (\x00 before each), quoted text and expansions
// as plain text, and whether it holds any: whether the shell expands w
// as a glob.
func globComponents(w *syntax.Word) (string, bool) {
	var b strings.Builder
	glob := false
	for _, p := range w.Parts {
		lit, ok := p.(*syntax.Lit)
		if !ok {
			b.WriteString("x") // quoted or expanded: literal text
			continue
		}
		v := lit.Value
		for i := 0; i < len(v); i++ {
			switch c := v[i]; {
			case c == '\\' && i+1 < len(v):
				b.WriteByte(v[i+1])
				i++
			case c == '*' || c == '?':
				b.WriteByte(0)
				b.WriteByte(c)
				glob = true
			case c == '[' && strings.IndexByte(v[i+1:], ']') >= 0:
				b.WriteByte(0)
				b.WriteByte(c)
				glob = true
			default:
				b.WriteByte(c)
			}
		}
	}
	return b.String(), glob
}

// wordText is w as written, for a refusal.
func wordText(w *syntax.Word) string {
	var b strings.Builder
	if err := syntax.NewPrinter().Print(&b, w); err != nil {
		return "a word"
	}
	return b.String()
}
