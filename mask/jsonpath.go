package mask

import (
	"errors"
	"strconv"
	"strings"
)

// pathElem is one step of a concrete location in a JSON document.
type pathElem struct {
	key   string
	index int
	isIdx bool
}

type segKind uint8

const (
	segKey   segKind = iota // .name or ['name']
	segIndex                // [3]
	segWild                 // [*] or .*
)

// pathSeg is one step of a JSON path; deep is set for the ".." descent,
// which lets the step match after any number of intermediate steps.
type pathSeg struct {
	kind  segKind
	key   string
	index int
	deep  bool
}

// jsonPath is the subset of JSONPath that selects locations without
// filters: $, .key, ['key'], ["key"], [n], [*], .*, ..key, ..*, ..[n].
type jsonPath []pathSeg

func parseJSONPath(s string) (jsonPath, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "$") {
		return nil, errors.New("must start with $")
	}
	var p jsonPath
	i := 1
	for i < len(s) {
		deep := false
		switch s[i] {
		case '.':
			i++
			if i < len(s) && s[i] == '.' {
				deep = true
				i++
			}
			if i < len(s) && s[i] == '[' {
				if !deep {
					return nil, errors.New("'.' followed by '['")
				}
				seg, n, err := parseBracket(s[i:])
				if err != nil {
					return nil, err
				}
				seg.deep = true
				p = append(p, seg)
				i += n
				continue
			}
			j := i
			for j < len(s) && s[j] != '.' && s[j] != '[' {
				j++
			}
			name := s[i:j]
			if name == "" {
				return nil, errors.New("empty key after '.'")
			}
			if name == "*" {
				p = append(p, pathSeg{kind: segWild, deep: deep})
			} else {
				p = append(p, pathSeg{kind: segKey, key: name, deep: deep})
			}
			i = j
		case '[':
			seg, n, err := parseBracket(s[i:])
			if err != nil {
				return nil, err
			}
			p = append(p, seg)
			i += n
		default:
			return nil, errors.New("unexpected " + strconv.QuoteRune(rune(s[i])) + " at byte " + strconv.Itoa(i))
		}
	}
	return p, nil
}

// parseBracket parses "[...]" at the start of s and returns its length.
func parseBracket(s string) (pathSeg, int, error) {
	end := -1
	if len(s) > 1 && (s[1] == '\'' || s[1] == '"') {
		q := s[1]
		k := strings.IndexByte(s[2:], q)
		if k < 0 || 2+k+1 >= len(s) || s[2+k+1] != ']' {
			return pathSeg{}, 0, errors.New("unterminated quoted key")
		}
		return pathSeg{kind: segKey, key: s[2 : 2+k]}, 2 + k + 2, nil
	}
	end = strings.IndexByte(s, ']')
	if end < 0 {
		return pathSeg{}, 0, errors.New("missing ']'")
	}
	in := strings.TrimSpace(s[1:end])
	if in == "*" {
		return pathSeg{kind: segWild}, end + 1, nil
	}
	n, err := strconv.Atoi(in)
	if err != nil || n < 0 {
		return pathSeg{}, 0, errors.New("bracket holds neither a quoted key, '*' nor an index: " + strconv.Quote(in))
	}
	return pathSeg{kind: segIndex, index: n}, end + 1, nil
}

func (s pathSeg) matches(e pathElem) bool {
	switch s.kind {
	case segKey:
		return !e.isIdx && e.key == s.key
	case segIndex:
		return e.isIdx && e.index == s.index
	}
	return true
}

// match reports whether the concrete location el is selected by p.
func (p jsonPath) match(el []pathElem) bool {
	if len(p) == 0 {
		return len(el) == 0
	}
	if len(el) == 0 {
		return false
	}
	s := p[0]
	if s.matches(el[0]) && p[1:].match(el[1:]) {
		return true
	}
	if s.deep {
		return p.match(el[1:])
	}
	return false
}

// genericPath renders a location with every index as [*], so findings from
// the rows of one array add up.
func genericPath(el []pathElem) string {
	var b strings.Builder
	b.WriteByte('$')
	for _, e := range el {
		if e.isIdx {
			b.WriteString("[*]")
			continue
		}
		if isPlainKey(e.key) {
			b.WriteByte('.')
			b.WriteString(e.key)
		} else {
			b.WriteString("[")
			b.WriteString(strconv.Quote(e.key))
			b.WriteString("]")
		}
	}
	return b.String()
}

func isPlainKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		if !is(k[i], clWord) && k[i] != '-' {
			return false
		}
	}
	return true
}
