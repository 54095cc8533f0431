package mask

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"sort"
	"strings"
)

// keywordReach is how far before a custom match its keyword may occur.
const keywordReach = 64

// maxDictValue bounds one literal of a dictionary detector.
const maxDictValue = 256

func compileCustom(cd CustomDetector, maxMatch int) (detector, error) {
	switch {
	case cd.Pattern != "" && len(cd.Values) > 0:
		return nil, errors.New("give either pattern or values, not both")
	case cd.Pattern == "" && len(cd.Values) == 0:
		return nil, errors.New("needs a pattern or values")
	case len(cd.Values) > 0:
		if len(cd.Keywords) > 0 {
			return nil, errors.New("keywords apply to a pattern, not to values")
		}
		return compileDict(cd.Values)
	}
	return compileRegex(cd.Pattern, cd.Keywords, maxMatch)
}

// regexDetector runs a custom regular expression, anchored, at each
// position that its first-byte set (or its keywords) allows. Matching at a
// position sees the byte before it and the window of MaxMatchBytes that
// starts there, which keeps it local for the stream masker: "\b" and "^"
// at the start of a pattern see the preceding byte, and a match that
// reaches the end of the window is overlong (ErrLimit).
type regexDetector struct {
	re     *regexp.Regexp // ^(?:pattern), for a match at the start of the text
	reCtx  *regexp.Regexp // ^(?s:.)(pattern), the same after one byte of context
	first  [256]bool
	prefix []byte // literal prefix, when the pattern has one
	kw     *acMatcher
	max    int
}

func compileRegex(pattern string, keywords []string, maxMatch int) (*regexDetector, error) {
	parsed, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, fmt.Errorf("pattern: %w", err)
	}
	parsed = parsed.Simplify()
	d := &regexDetector{max: maxMatch}
	nullable := firstSet(parsed, &d.first)
	if nullable {
		return nil, fmt.Errorf("pattern %q can match the empty string", pattern)
	}
	d.re, err = regexp.Compile(`^(?:` + pattern + `)`)
	if err != nil {
		return nil, fmt.Errorf("pattern: %w", err)
	}
	d.reCtx = regexp.MustCompile(`^(?s:.)(` + pattern + `)`)
	if p, _ := regexp.MustCompile(pattern).LiteralPrefix(); p != "" {
		d.prefix = []byte(p)
	}
	for _, k := range keywords {
		if strings.TrimSpace(k) == "" {
			return nil, errors.New("empty keyword")
		}
		if len(k) > keywordReach {
			return nil, fmt.Errorf("keyword %q is longer than %d bytes", k, keywordReach)
		}
	}
	if len(keywords) > 0 {
		d.kw = newAC(keywords)
	}
	return d, nil
}

// firstSet adds to set every byte a match of re can begin with and reports
// whether re can match the empty string. Non-ASCII runes admit every byte
// from 0x80 on.
func firstSet(re *syntax.Regexp, set *[256]bool) (nullable bool) {
	all := func() {
		for i := range set {
			set[i] = true
		}
	}
	addRune := func(r rune, fold bool) {
		if r >= 0x80 {
			for i := 0x80; i < 256; i++ {
				set[i] = true
			}
			return
		}
		set[r] = true
		if fold {
			if r >= 'a' && r <= 'z' {
				set[r-'a'+'A'] = true
			} else if r >= 'A' && r <= 'Z' {
				set[r-'A'+'a'] = true
			} else if r == 'k' || r == 's' {
				all()
			}
		}
	}
	switch re.Op {
	case syntax.OpLiteral:
		if len(re.Rune) == 0 {
			return true
		}
		fold := re.Flags&syntax.FoldCase != 0
		if fold && (re.Rune[0] == 'k' || re.Rune[0] == 'K' || re.Rune[0] == 's' || re.Rune[0] == 'S') {
			all() // Unicode folds: K (Kelvin sign), ſ (long s)
		}
		addRune(re.Rune[0], fold)
		return false
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], re.Rune[i+1]
			for r := lo; r <= hi && r < 0x80; r++ {
				set[r] = true
			}
			if hi >= 0x80 {
				addRune(0x80, false)
			}
		}
		return false
	case syntax.OpAnyCharNotNL:
		all()
		set['\n'] = false
		return false
	case syntax.OpAnyChar:
		all()
		return false
	case syntax.OpCapture:
		return firstSet(re.Sub[0], set)
	case syntax.OpConcat:
		for _, s := range re.Sub {
			if !firstSet(s, set) {
				return false
			}
		}
		return true
	case syntax.OpAlternate:
		n := false
		for _, s := range re.Sub {
			if firstSet(s, set) {
				n = true
			}
		}
		return n
	case syntax.OpStar, syntax.OpQuest:
		firstSet(re.Sub[0], set)
		return true
	case syntax.OpPlus:
		return firstSet(re.Sub[0], set)
	case syntax.OpRepeat:
		n := firstSet(re.Sub[0], set)
		return n || re.Min == 0
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return true
	case syntax.OpNoMatch:
		return false
	}
	all()
	return true
}

func (d *regexDetector) maxLen() int { return d.max + keywordReach }

func (d *regexDetector) find(s *scan, id int, out []span) []span {
	t := s.t
	try := func(p int) {
		if !d.first[t[p]] {
			return
		}
		end := min(p+d.max, len(t))
		var n int
		if p == 0 {
			loc := d.re.FindIndex(t[:end])
			if loc == nil {
				return
			}
			n = loc[1]
		} else {
			// The context byte must be one character of its own: a start in
			// the middle of a UTF-8 sequence is not a start.
			loc := d.reCtx.FindSubmatchIndex(t[p-1 : end])
			if loc == nil || loc[2] != 1 {
				return
			}
			n = loc[3] - 1
		}
		if n <= 0 {
			return
		}
		sp := span{start: p, end: p + n, det: id}
		if sp.end == p+d.max && sp.end < len(t) {
			sp.overlong = true
		}
		out = append(out, sp)
	}
	if d.kw == nil {
		if len(d.prefix) > 0 {
			for i := 0; i < len(t); {
				k := indexFrom(t, i, d.prefix)
				if k < 0 {
					break
				}
				try(k)
				i = k + 1
			}
			return out
		}
		for p := range t {
			try(p)
		}
		return out
	}
	hits := d.kw.findAll(t, nil)
	if len(hits) == 0 {
		return out
	}
	// The ranges below are merged by a sweep that needs hits by end.
	sort.Slice(hits, func(a, b int) bool { return hits[a].end < hits[b].end })
	// A match at p needs a keyword [ks,ke) with p-64 <= ks and ke <= match
	// end <= p+max, so p ranges over [ke-max, ks+64] for some keyword.
	next := 0
	for _, h := range hits {
		lo := max(h.end-d.max, next, 0)
		up := min(h.start+keywordReach, len(t)-1)
		for p := lo; p <= up; p++ {
			before := len(out)
			try(p)
			if len(out) > before && !keywordNear(hits, out[len(out)-1]) {
				out = out[:before]
			}
		}
		next = max(next, up+1)
	}
	return out
}

// keywordNear reports whether a keyword hit lies inside sp or within
// keywordReach bytes before it. hits are sorted by end.
func keywordNear(hits []kwHit, sp span) bool {
	// Last hit ending at or before sp.end, then back while hits can still
	// start late enough (a keyword is at most keywordReach bytes long).
	i := sort.Search(len(hits), func(i int) bool { return hits[i].end > sp.end }) - 1
	for ; i >= 0 && hits[i].end > sp.start-keywordReach; i-- {
		if hits[i].start >= sp.start-keywordReach {
			return true
		}
	}
	return false
}

func indexFrom(t []byte, i int, sub []byte) int {
	k := bytes.Index(t[i:], sub)
	if k < 0 {
		return -1
	}
	return i + k
}

// dictDetector matches literal values, ASCII case-insensitively, as whole
// words: a value that begins (ends) with a letter, digit or '_' must not be
// glued to another one before (after) it.
type dictDetector struct {
	ac  *acMatcher
	max int
}

func compileDict(values []string) (*dictDetector, error) {
	d := &dictDetector{}
	for _, v := range values {
		if strings.TrimSpace(v) == "" {
			return nil, errors.New("empty value")
		}
		if len(v) > maxDictValue {
			return nil, fmt.Errorf("value of %d bytes is longer than %d", len(v), maxDictValue)
		}
		d.max = max(d.max, len(v))
	}
	d.ac = newAC(values)
	return d, nil
}

func (d *dictDetector) maxLen() int { return d.max + 2 }

func (d *dictDetector) find(s *scan, id int, out []span) []span {
	t := s.t
	for _, h := range d.ac.findAll(t, nil) {
		if is(t[h.start], clWord) && is(at(t, h.start-1), clWord) {
			continue
		}
		if is(t[h.end-1], clWord) && is(at(t, h.end), clWord) {
			continue
		}
		out = append(out, span{start: h.start, end: h.end, det: id})
	}
	return out
}
