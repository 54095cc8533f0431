package shell

import "strings"

// maxNesting bounds how deep the parser and the analyser's walk may go in
// one script: the parser recurses once per level of nesting (braces,
// subshells, $( ), backquotes, ${ }, arithmetic, if/while/for/case, [[ ]])
// and once per link of a chain (a && b, a | b, 1+1, ! ! x), and so does
// every walk over its tree. Its time and stack grow faster than the bytes
// that build them, so a command line beyond it is refused before it is
// parsed.
const maxNesting = 200

// maxWords bounds the words of the commands in one script, and the parts
// of words (quotes, escapes, expansions): the parser and the analyser keep
// a tree node and a copy of every one, each read in four dialects.
const maxWords = 32 << 10

// nestFrame is one open construct of the scan: what closes it, how it
// reads its text, and the length of the chain built in it so far.
type nestFrame struct {
	mode  byte // 'c' commands, 'd' double quotes, 'p' ${ }, 'a' arithmetic
	close byte // ')' '}' ']' '`' '"', or 'k' for a keyword (if, while, case, ...)
	kw    string
	chain int
}

// nestScan measures an upper bound of the recursion a script costs the
// parser: at every byte, the open constructs around it plus the chains
// built in each. It reads quotes as the parser does (a quoted bracket
// opens nothing), and reads every quoted span, comment and here-document
// body a second time as if it were code, so text the scan takes for quoted
// but the parser does not still counts: the bound errs towards refusing.
type nestScan struct {
	src   string
	stack []nestFrame
	base  int // the depth around a span read as code
	max   int
	start bool // at the start of a command: keywords and { } are reserved there
	oper  bool // the last token was && || |: a newline continues the chain
	docs  []hereDoc
	let   bool // in the arguments of let: arithmetic
	words int  // words of commands and their parts
	// steps left to the scan and every span it reads again as code: a
	// span inside a span (a quote in a comment in a here-document ...)
	// is read once more at every level, so the work is bounded as a
	// whole, and a script that exhausts it counts as nested too deep.
	steps *int
}

// scanSteps bounds the bytes a scan reads, spans read again included, as
// a multiple of the script's length.
const scanSteps = 16

type hereDoc struct {
	delim  string
	quoted bool
	strip  bool // <<- strips leading tabs
}

// nestingDepth is nestScan's bound for src, and the words it counted.
func nestingDepth(src string) (depth, words int) {
	steps := scanSteps * (len(src) + 64)
	s := &nestScan{src: src, steps: &steps}
	s.run('c', 0)
	return s.max, s.words
}

// depth is the current bound: every open frame, and every chain link in it.
func (s *nestScan) depth() int {
	d := s.base
	for _, f := range s.stack {
		d += 1 + f.chain
	}
	return d
}

func (s *nestScan) note() {
	if d := s.depth(); d > s.max {
		s.max = d
	}
}

func (s *nestScan) push(f nestFrame) {
	s.stack = append(s.stack, f)
	s.note()
}

func (s *nestScan) top() *nestFrame { return &s.stack[len(s.stack)-1] }

func (s *nestScan) link() {
	s.top().chain++
	s.note()
}

// asCode reads text (a quoted span, a comment, a here-document body) as if
// it were code, at the current depth, and keeps the deepest point.
func (s *nestScan) asCode(text string) {
	if text == "" || s.max > maxNesting {
		return
	}
	sub := &nestScan{src: text, base: s.depth(), max: s.max, steps: s.steps}
	sub.run('c', 0)
	if sub.max > s.max {
		s.max = sub.max
	}
}

// run scans src from i with a bottom frame of mode. A here-document body
// is scanned by its own run in mode 'h' (double quotes are literal there).
func (s *nestScan) run(mode byte, i int) {
	s.stack = append(s.stack[:0], nestFrame{mode: mode})
	s.start = true
	s.note()
	src := s.src
	for last := i; i < len(src) && s.max <= maxNesting; {
		// Charge the bytes the last token took (one at least).
		if *s.steps -= max(1, i-last); *s.steps < 0 {
			s.max = maxNesting + 1 // fail closed
			return
		}
		last = i
		if len(s.stack) == 0 {
			s.stack = append(s.stack, nestFrame{mode: mode})
		}
		f := s.top()
		c := src[i]
		if f.mode == 'c' && !wordEnd(c) && (i == 0 || wordEnd(src[i-1])) || byteClass[c]&clsPart != 0 {
			s.words++ // a word, or a part of one: a tree node each
		}
		// Quotes and expansions read alike in every mode but here-document
		// bodies and double quotes, where only $ ` \ act.
		quoting := f.mode == 'c' || f.mode == 'p' || f.mode == 'a'
		switch {
		case c == '\\':
			i += 2
			continue
		case c == '\'' && quoting:
			j := strings.IndexByte(src[i+1:], '\'')
			if j < 0 {
				j = len(src) - i - 1
			}
			s.asCode(src[i+1 : i+1+j])
			i += j + 2
			s.start = false
			continue
		case c == '$' && i+1 < len(src) && src[i+1] == '\'' && quoting:
			j := i + 2
			for j < len(src) && src[j] != '\'' {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			s.asCode(src[i+2 : min(j, len(src))])
			i = j + 1
			s.start = false
			continue
		case c == '"' && f.mode == 'd':
			s.stack = s.stack[:len(s.stack)-1]
			i++
			continue
		case c == '"' && quoting:
			s.push(nestFrame{mode: 'd', close: '"'})
			i++
			s.start = false
			continue
		case c == '`':
			if f.close == '`' {
				s.stack = s.stack[:len(s.stack)-1]
			} else {
				s.push(nestFrame{mode: 'c', close: '`'})
				s.start = true
			}
			i++
			continue
		case c == '$' && strings.HasPrefix(src[i:], "$(("):
			s.push(nestFrame{mode: 'c', close: ')'})
			s.push(nestFrame{mode: 'a', close: ')'})
			i += 3
			continue
		case c == '$' && strings.HasPrefix(src[i:], "$("):
			s.push(nestFrame{mode: 'c', close: ')'})
			s.start = true
			i += 2
			continue
		case c == '$' && strings.HasPrefix(src[i:], "${"):
			s.push(nestFrame{mode: 'p', close: '}'})
			i += 2
			continue
		case c == '$' && strings.HasPrefix(src[i:], "$["):
			s.push(nestFrame{mode: 'a', close: ']'})
			i += 2
			continue
		}
		switch f.mode {
		case 'd', 'h':
			i++
			continue
		case 'a':
			i = s.arith(i)
			continue
		case 'p':
			i = s.param(i)
			continue
		}
		i = s.code(i)
	}
}

// arith reads one byte of arithmetic: every operator is a link of a chain
// (1+1+1, - - 1, !!1, a?b:c), every parenthesis and index a level.
func (s *nestScan) arith(i int) int {
	switch c := s.src[i]; {
	case c == '(':
		s.push(nestFrame{mode: 'a', close: ')'})
	case c == ')' || c == ']':
		if s.top().close == c {
			s.stack = s.stack[:len(s.stack)-1]
		}
	case c == '[':
		s.push(nestFrame{mode: 'a', close: ']'})
	case byteClass[c]&clsOp != 0:
		s.link()
	}
	return i + 1
}

// param reads one byte inside ${ }: } closes it, [ opens an index, and
// operators are links (slices and indexes are arithmetic).
func (s *nestScan) param(i int) int {
	switch c := s.src[i]; {
	case c == '}':
		if s.top().close == '}' {
			s.stack = s.stack[:len(s.stack)-1]
		}
	case c == '{':
		s.push(nestFrame{mode: 'p', close: '}'})
	case c == '[':
		s.push(nestFrame{mode: 'a', close: ']'})
	case c == ']':
		if s.top().close == ']' {
			s.stack = s.stack[:len(s.stack)-1]
		}
	case c == '(':
		s.push(nestFrame{mode: 'c', close: ')'}) // extended glob patterns
	case c == ')':
		if s.top().close == ')' {
			s.stack = s.stack[:len(s.stack)-1]
		}
	case byteClass[c]&clsOp != 0:
		s.link()
	}
	return i + 1
}

// arithOps are the bytes of arithmetic operators: each is a link of a chain.
const arithOps = "+-*/%<>=!~&|^?:,"

// Classes of bytes, looked up in byteClass.
const (
	clsWordEnd = 1 << iota // ends a word: blanks and operators
	clsPart                // begins a part of a word: quotes, escapes, expansions
	clsStop                // a word's fast path stops at it
	clsOp                  // an arithmetic operator
)

var byteClass = func() (t [256]uint8) {
	for cls, set := range map[uint8]string{clsWordEnd: " \t\n;&|()<>", clsPart: "\\'\"`$", clsStop: "\\'\"`$#{}[]!", clsOp: arithOps} {
		for i := 0; i < len(set); i++ {
			t[set[i]] |= cls
		}
	}
	return t
}()

func wordEnd(c byte) bool { return byteClass[c]&clsWordEnd != 0 }

// code reads one token of commands.
func (s *nestScan) code(i int) int {
	src := s.src
	c := src[i]
	start := s.start
	s.start = false
	switch {
	case c == ' ' || c == '\t':
		s.start = start
		return i + 1
	case c == '\n':
		s.let = false
		if !s.oper {
			s.top().chain = 0
		}
		s.start = true
		if len(s.docs) > 0 {
			return s.hereDocs(i + 1)
		}
		return i + 1
	case c == '#' && (i == 0 || wordEnd(src[i-1])):
		j := strings.IndexByte(src[i:], '\n')
		if j < 0 {
			j = len(src) - i
		}
		s.asCode(src[i+1 : i+j])
		s.start = start
		return i + j
	case c == '&' || c == '|':
		s.start = true
		s.let = false
		if i+1 < len(src) && (src[i+1] == c || c == '|' && src[i+1] == '&') {
			s.oper = true
			s.link()
			return i + 2
		}
		if c == '|' {
			s.oper = true
			s.link()
			return i + 1
		}
		s.oper = false
		s.top().chain = 0
		return i + 1
	case c == ';':
		s.let = false
		s.oper = false
		s.top().chain = 0
		s.start = true
		return i + 1
	}
	s.oper = false
	switch {
	case c == '(':
		s.push(nestFrame{mode: 'c', close: ')'})
		if i+1 < len(src) && src[i+1] == '(' {
			s.push(nestFrame{mode: 'a', close: ')'})
			return i + 2
		}
		s.start = true
		return i + 1
	case c == ')':
		if s.top().close == ')' {
			s.stack = s.stack[:len(s.stack)-1]
		}
		s.start = true // after a case pattern
		return i + 1
	case c == '{' && (i == 0 || wordEnd(src[i-1])) && (i+1 == len(src) || wordEnd(src[i+1])):
		// A { word opens a group wherever the parser may take it for one
		// (function f {, coproc {, time {): an echo { over-counts.
		s.push(nestFrame{mode: 'c', close: '}'})
		s.start = true
		return i + 1
	case c == '}' && start && s.top().close == '}':
		s.stack = s.stack[:len(s.stack)-1]
		return i + 1
	case c == '[' && i > 0 && nameByte(src[i-1]):
		s.push(nestFrame{mode: 'a', close: ']'}) // an array index: arithmetic
		return i + 1
	case c == '!' && (start || i+1 == len(src) || wordEnd(src[i+1])):
		s.link() // ! x, and [[ ! ! x ]]
		s.start = start
		return i + 1
	case s.let && byteClass[c]&clsOp != 0:
		s.link()
		return i + 1
	case c == '<' && strings.HasPrefix(src[i:], "<<<"):
		return i + 3
	case c == '<' && strings.HasPrefix(src[i:], "<<"):
		return s.hereDocOp(i + 2)
	case c == '<' || c == '>':
		// A redirection: its target starts a word of its own (a node
		// of the tree, like any word).
		return i + 1
	}
	if start && c >= 'a' && c <= 'z' {
		j := i
		for j < len(src) && src[j] >= 'a' && src[j] <= 'z' {
			j++
		}
		if j == len(src) || wordEnd(src[j]) {
			s.keyword(src[i:j])
			return j
		}
	}
	// The rest of a word: letters that open and close nothing.
	j := i + 1
	stop := uint8(clsWordEnd | clsStop)
	if s.let {
		stop |= clsOp
	}
	for j < len(src) && byteClass[src[j]]&stop == 0 {
		j++
	}
	return j
}

func nameByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// keyword opens or closes the compound command a reserved word begins or
// ends; a closing word closes only the construct it belongs to.
func (s *nestScan) keyword(w string) {
	switch w {
	case "if", "while", "until", "for", "select", "case":
		s.push(nestFrame{mode: 'c', close: 'k', kw: w})
		s.start = w != "for" && w != "select" && w != "case"
	case "fi", "done", "esac":
		if f := s.top(); f.close == 'k' && closes(w, f.kw) {
			s.stack = s.stack[:len(s.stack)-1]
		}
	case "then", "do", "else", "elif", "function", "time", "coproc":
		s.start = true
	case "let":
		s.let = true // every argument is arithmetic
	}
}

func closes(end, kw string) bool {
	switch end {
	case "fi":
		return kw == "if"
	case "esac":
		return kw == "case"
	}
	return kw == "while" || kw == "until" || kw == "for" || kw == "select"
}

// hereDocOp reads the delimiter of a here-document; its body starts at the
// next newline.
func (s *nestScan) hereDocOp(i int) int {
	src := s.src
	d := hereDoc{}
	if i < len(src) && src[i] == '-' {
		d.strip = true
		i++
	}
	for i < len(src) && (src[i] == ' ' || src[i] == '\t') {
		i++
	}
	var b strings.Builder
	for i < len(src) && !wordEnd(src[i]) {
		switch c := src[i]; c {
		case '\'', '"':
			d.quoted = true
			j := strings.IndexByte(src[i+1:], c)
			if j < 0 {
				j = len(src) - i - 1
			}
			b.WriteString(src[i+1 : i+1+j])
			i += j + 2
		case '\\':
			d.quoted = true
			if i+1 < len(src) {
				b.WriteByte(src[i+1])
			}
			i += 2
		default:
			b.WriteByte(c)
			i++
		}
	}
	d.delim = b.String()
	s.docs = append(s.docs, d)
	return min(i, len(src))
}

// hereDocs skips the bodies of the pending here-documents, which begin at
// i: each is read as code, and an unquoted one also as the parser reads
// it (expansions open, quotes are literal).
func (s *nestScan) hereDocs(i int) int {
	docs := s.docs
	s.docs = nil
	for _, d := range docs {
		body := i
		for i < len(s.src) {
			j := strings.IndexByte(s.src[i:], '\n')
			if j < 0 {
				j = len(s.src) - i
			}
			line := s.src[i : i+j]
			if d.strip {
				line = strings.TrimLeft(line, "\t")
			}
			if line == d.delim {
				break
			}
			i += j + 1
		}
		text := s.src[body:min(i, len(s.src))]
		s.asCode(text)
		if !d.quoted && s.max <= maxNesting {
			sub := &nestScan{src: text, base: s.depth(), max: s.max, steps: s.steps}
			sub.run('h', 0)
			s.max = max(s.max, sub.max)
		}
		// Past the delimiter line.
		if j := strings.IndexByte(s.src[min(i, len(s.src)):], '\n'); j >= 0 {
			i += j + 1
		} else {
			i = len(s.src)
		}
	}
	return i
}
