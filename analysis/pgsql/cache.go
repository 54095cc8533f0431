package pgsql

import (
	"slices"
	"sync"
)

// DefaultCacheSize is the number of statement shapes NewClassifier keeps.
const DefaultCacheSize = 4096

// CachedClassifier classifies with the PostgreSQL parser and caches the
// result per statement shape (the text with literals stripped), so a query
// repeated with other values costs a map lookup instead of a parse.
//
// A cached verdict equals a fresh one. A literal is left out of the key
// only when the parser made it a constant value (an A_Const) at that very
// position, which the classification never reads; every other literal (an
// option's value such as EXPLAIN (ANALYZE 'off'), a COPY option, a file
// name, a password, a negative number, a prefixed string) stays in the key
// by its raw text. A text that may carry a secret (see secretTrigger) is
// never looked up nor cached, and neither is a text the scanner does not
// understand with certainty (E'...' and U&'...' strings, backslashes, string
// continuations) or whose statement split disagrees with the parser's.
type CachedClassifier struct {
	size int

	mu      sync.RWMutex
	n       int
	entries map[string][]*variant
}

// variant is one cached classification of a shape: the literals at dep
// (indexes into shape.lits) had the raw texts vals.
type variant struct {
	dep  []int
	vals []string
	cl   *Classification
}

// maxVariants bounds the variants kept per shape.
const maxVariants = 8

// NewClassifier returns a caching parser classifier holding up to size
// shapes (DefaultCacheSize when size <= 0).
func NewClassifier(size int) *CachedClassifier {
	if size <= 0 {
		size = DefaultCacheSize
	}
	return &CachedClassifier{size: size, entries: make(map[string][]*variant)}
}

func (v *variant) matches(lits []lit) bool {
	for j, d := range v.dep {
		if d >= len(lits) || lits[d].raw != v.vals[j] {
			return false
		}
	}
	return true
}

// Classify returns the classification of sql, from the cache when its shape
// was seen before.
func (c *CachedClassifier) Classify(sql string) (*Classification, error) {
	cl, _, err := c.classify(sql)
	return cl, err
}

// classifyOwned is Classify with a result whose Statements slice is the
// caller's own: a hit is already a copy (withTexts); a miss, which is
// also the cache's entry, is copied.
func (c *CachedClassifier) classifyOwned(sql string) (*Classification, error) {
	cl, shared, err := c.classify(sql)
	if err != nil || !shared {
		return cl, err
	}
	return &Classification{Statements: append([]Statement(nil), cl.Statements...)}, nil
}

// classify is Classify; shared reports that the result is the cache's
// entry (a miss that was cached).
func (c *CachedClassifier) classify(sql string) (cl *Classification, shared bool, err error) {
	var sh shape
	ok := !secretTrigger(sql)
	if ok {
		sc := getShapeScratch()
		defer putShapeScratch(sc)
		sh, ok = sc.scan(sql)
	}
	if ok {
		c.mu.RLock()
		var hit *Classification
		for _, v := range c.entries[string(sh.key)] {
			if v.matches(sh.lits) {
				hit = v.cl
				break
			}
		}
		c.mu.RUnlock()
		if hit != nil && len(hit.Statements) >= len(sh.parts) {
			return withTexts(hit, sh.parts), false, nil
		}
	}
	cl, texts, free, err := classifyParsed(sql)
	if err != nil {
		return nil, false, err
	}
	if ok && cacheable(cl, texts, sh.parts) {
		shared = true
		v := &variant{cl: cl}
		free.sort()
		for i, l := range sh.lits {
			if !free.has(l.off) {
				v.dep = append(v.dep, i)
				v.vals = append(v.vals, l.raw)
			}
		}
		c.mu.Lock()
		if c.n >= c.size {
			// Forget everything rather than track recency: shapes of a
			// working set come back at once.
			c.entries = make(map[string][]*variant, c.size)
			c.n = 0
		}
		key := string(sh.key)
		vs := c.entries[key]
		if len(vs) >= maxVariants {
			vs = vs[1:]
			c.n--
		}
		c.entries[key] = append(vs, v)
		c.n++
		c.mu.Unlock()
	}
	return cl, shared, nil
}

// constSet holds the offsets of the constants the parser found as values
// (A_Const, not NULL): literals whose contents the classification ignores.
// The classification's walk of the tree collects them (classifyNode).
type constSet []int

// sort orders the set for has.
func (s constSet) sort() { slices.Sort(s) }

// has reports whether off is the offset of one of the constants; the set
// is sorted.
func (s constSet) has(off int) bool {
	_, found := slices.BinarySearch(s, off)
	return found
}

// Len reports how many classifications are cached.
func (c *CachedClassifier) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.n
}

func cacheable(cl *Classification, texts, parts []string) bool {
	if len(texts) != len(parts) {
		return false
	}
	for i := range texts {
		if texts[i] != parts[i] {
			return false
		}
	}
	for _, s := range cl.Statements {
		if len(s.Secrets) > 0 {
			return false
		}
	}
	return true
}

// singleClassification is a classification of one statement in one
// allocation, the usual case of a cache hit.
type singleClassification struct {
	cl Classification
	st [1]Statement
}

// newClassification returns a classification of n zero statements.
func newClassification(n int) *Classification {
	if n != 1 {
		return &Classification{Statements: make([]Statement, n)}
	}
	x := new(singleClassification)
	x.cl.Statements = x.st[:1:1]
	return &x.cl
}

// withTexts copies a cached classification, giving each statement the text
// of the current message. Nested entries repeat their parent's text.
func withTexts(cl *Classification, parts []string) *Classification {
	out := newClassification(len(cl.Statements))
	copy(out.Statements, cl.Statements)
	p := -1
	for i := range out.Statements {
		if !out.Statements[i].Nested {
			p++
		}
		if p >= 0 && p < len(parts) {
			out.Statements[i].Text = parts[p]
			if pr := out.Statements[i].Prepared; pr != nil {
				cp := *pr
				cp.Text = parts[p]
				out.Statements[i].Prepared = &cp
			}
		}
	}
	return out
}
