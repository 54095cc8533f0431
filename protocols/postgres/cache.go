package postgres

import (
	"sync"
)

// DefaultCacheSize is the number of statement shapes NewClassifier keeps.
const DefaultCacheSize = 4096

// CachedClassifier classifies with the PostgreSQL parser and caches the
// result per statement shape (the text with literals stripped), so a query
// repeated with other values costs a map lookup instead of a parse.
//
// A shape is cached only when the scanner's statement split agrees with the
// parser's, and never when a statement carries a secret.
type CachedClassifier struct {
	size int

	mu      sync.RWMutex
	entries map[string]*Classification
}

// NewClassifier returns a caching parser classifier holding up to size
// shapes (DefaultCacheSize when size <= 0).
func NewClassifier(size int) *CachedClassifier {
	if size <= 0 {
		size = DefaultCacheSize
	}
	return &CachedClassifier{size: size, entries: make(map[string]*Classification)}
}

// Classify returns the classification of sql, from the cache when its shape
// was seen before.
func (c *CachedClassifier) Classify(sql string) (*Classification, error) {
	if mayHoldSecret(sql) {
		// Secrets are found by the content of literals, which the shape
		// strips: such texts are always parsed.
		cl, _, err := classifyParsed(sql)
		return cl, err
	}
	sh, ok := shapeOf(sql)
	if ok {
		c.mu.RLock()
		hit := c.entries[sh.key]
		c.mu.RUnlock()
		if hit != nil && len(hit.Statements) >= len(sh.parts) {
			return withTexts(hit, sh.parts), nil
		}
	}
	cl, texts, err := classifyParsed(sql)
	if err != nil {
		return nil, err
	}
	if ok && cacheable(cl, texts, sh.parts) {
		c.mu.Lock()
		if len(c.entries) >= c.size {
			// Forget everything rather than track recency: shapes of a
			// working set come back at once.
			c.entries = make(map[string]*Classification, c.size)
		}
		c.entries[sh.key] = cl
		c.mu.Unlock()
	}
	return cl, nil
}

// Len reports how many shapes are cached.
func (c *CachedClassifier) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
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
		if len(s.Secrets) > 0 || s.readsLiterals {
			return false
		}
		if p := s.Prepared; p != nil && (len(p.Secrets) > 0 || p.readsLiterals) {
			return false
		}
	}
	return true
}

// withTexts copies a cached classification, giving each statement the text
// of the current message. Nested entries repeat their parent's text.
func withTexts(cl *Classification, parts []string) *Classification {
	out := &Classification{Statements: make([]Statement, len(cl.Statements))}
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
