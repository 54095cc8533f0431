package gate

import (
	"encoding/binary"
	"maps"
	"math"
	"reflect"
	"slices"
	"sort"
	"sync"
	"time"

	"cel.dev/cel-go/common/ast"
)

// The decision cache remembers, per rule set, the outcome of every rule that
// reads only stable attributes (who asks, what they ask), keyed by the exact
// values of every attribute those rules read. Rules that read anything else
// (the time, session counters: every variable of volatile scope in the
// vocabulary) are volatile: they are evaluated afresh for every request, and the
// aggregation of outcomes into a decision is the same code for cached and
// fresh outcomes, so a cached decision equals a fresh one by construction
// (TestDecisionCacheEqualsFresh checks it on generated requests).
//
// A rule compiled to Go closures costs tens of nanoseconds, less than its
// part of a key, so the cache serves such rules only in partitions with
// enough of them (minKeyedNatives). An entry also keeps the decision its
// outcomes give when every rule the cache does not serve is false; a hit
// then evaluates only those rules and, when they are all false (a false
// rule takes no part in a decision), returns a copy of that decision
// without aggregating anything (TestNativeDecisionCacheEqualsFresh; and
// TestNativeDecisionCacheCatchesKeyWithoutARead shows that test fails when
// the key leaves out any variable a rule reads).
//
// While too few lookups hit (every statement text new), a partition rests
// the cache and decides without it for a while (see cacheUse).
//
// What the rules read is derived from the compiled expressions, never
// declared by hand: a rule that starts reading request.time stops being
// cached the moment it is loaded.

// isStable reports whether a variable is a function of the request and its
// session's fixed fields (its scope is session or request). A name that is
// not in the vocabulary is volatile.
func isStable(name string) bool {
	v := variableNamed(name)
	return v != nil && v.scope != ScopeVolatile
}

// readsOf lists the declared variables an expression reads, sorted.
func readsOf(e ast.Expr) []string {
	seen := map[string]bool{}
	ast.PostOrderVisit(e, ast.NewExprVisitor(func(x ast.Expr) {
		if x.Kind() == ast.IdentKind && variableNamed(x.AsIdent()) != nil {
			seen[x.AsIdent()] = true
		}
	}))
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ruleOutcome is what one rule's evaluation gave.
type ruleOutcome uint8

const (
	outcomeFalse ruleOutcome = iota
	outcomeTrue
	outcomeError
)

// cachedOutcomes are the outcomes of a partition's cached rules, in the
// partition's order; the other rules' slots are unused. decision is the
// decision when every rule the cache does not serve is false (nil when it
// carried errors: those are decided afresh).
type cachedOutcomes struct {
	outcomes []ruleOutcome
	errs     map[int]string
	decision *Decision
}

// maxCachedDecisions bounds one rule set's cache.
const maxCachedDecisions = 8192

// decisionCache maps a key (protocol, estimate bound, values read) to the
// outcomes of the stable rules.
type decisionCache struct {
	mu sync.RWMutex
	m  map[string]*cachedOutcomes
}

func (c *decisionCache) get(key []byte) *cachedOutcomes {
	c.mu.RLock()
	v := c.m[string(key)]
	c.mu.RUnlock()
	return v
}

func (c *decisionCache) put(key []byte, v *cachedOutcomes) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*cachedOutcomes{}
	}
	if len(c.m) >= maxCachedDecisions {
		// Forget an eighth, chosen by map order (random enough to keep a
		// hot working set, and O(1) amortised).
		n := maxCachedDecisions / 8
		for k := range c.m {
			delete(c.m, k)
			if n--; n == 0 {
				break
			}
		}
	}
	c.m[string(key)] = v
}

// minKeyedNatives is how many stable rules compiled to Go closures a
// partition needs before the cache serves them too. Evaluating one such
// rule costs tens of nanoseconds, and building the key (which encodes every
// value the rules read, sql.statements included) a few hundred, so keying
// pays only from about this many rules on (BenchmarkDecide: rules=1 and 10
// against 100). At the three rules of the pgbench comparison
// (BenchmarkDecideFewRules) keying costs more than deciding afresh: a
// hit about 0.9k instructions more a decision when one text repeats
// (pgbench -M prepared), and a miss with its entry kept 4.5k to 7.8k more
// when each text is new (-M simple).
const minKeyedNatives = 16

// partition is the rules a request of one protocol evaluates, with what
// their cache key must hold.
type partition struct {
	rules []*compiledRule
	// keyVars are the variables read by the partition's cached rules, and
	// keys their encoders.
	keyVars []string
	keys    []func([]byte, *Request) ([]byte, bool)
	// cacheable is false when no rule is cached (nothing to remember).
	cacheable bool
	// natives is true when stable rules compiled to Go closures are
	// cached too (see minKeyedNatives).
	natives bool
	// fresh are the indexes of the rules the cache does not serve.
	fresh []int
	// sizes checks what its rules read against the cost estimator's
	// sizes: a variable no rule of the partition reads cannot make one
	// cost more than estimated, so it is not checked.
	sizes sizeChecks
	// use rests the cache while its lookups do not pay.
	use cacheUse
}

func newPartition(rules []*compiledRule) *partition {
	p := &partition{rules: rules}
	p.use.setSizes(cacheUseWindow, cacheUseMaxRest)
	stableNatives := 0
	for _, r := range rules {
		if !r.volatile && r.native != nil {
			stableNatives++
		}
	}
	p.natives = stableNatives >= minKeyedNatives
	vars, read := map[string]bool{}, map[string]bool{}
	for i, r := range rules {
		for _, v := range r.reads {
			read[v] = true
		}
		if !p.caches(r) {
			p.fresh = append(p.fresh, i)
			continue
		}
		p.cacheable = true
		for _, v := range r.reads {
			vars[v] = true
		}
	}
	for v := range vars {
		p.keyVars = append(p.keyVars, v)
	}
	sort.Strings(p.keyVars)
	p.setKeys()
	p.sizes = sizeChecksOf(slices.Sorted(maps.Keys(read)))
	return p
}

// caches reports whether the cache serves the rule's outcome: it reads
// only stable variables, and it runs in the CEL interpreter or the
// partition has enough rules compiled to Go closures to make keying them
// cheaper than evaluating them.
func (p *partition) caches(r *compiledRule) bool {
	return !r.volatile && (r.native == nil || p.natives)
}

// setKeys looks up the key encoders of keyVars.
func (p *partition) setKeys() {
	p.keys = p.keys[:0]
	for _, name := range p.keyVars {
		p.keys = append(p.keys, variableNamed(name).appendKey)
	}
}

// cacheKey encodes the protocol, the estimate bound and the exact value of
// every variable in keyVars. ok is false when a value cannot be encoded
// exactly; the request is then decided without the cache.
func (p *partition) cacheKey(buf []byte, req *Request, bounded bool) ([]byte, bool) {
	buf = appendString(buf, req.Protocol)
	if bounded {
		buf = append(buf, 1)
	} else {
		buf = append(buf, 0)
	}
	for _, key := range p.keys {
		var ok bool
		if buf, ok = key(buf, req); !ok {
			return nil, false
		}
	}
	return buf, true
}

// celFieldIndex is the index of the field of struct type t whose cel tag is
// name, computed once per pair.
func celFieldIndex(t reflect.Type, name string) (int, bool) {
	k := fieldKey{t, name}
	if i, ok := celFieldIndexes.Load(k); ok {
		return i.(int), true
	}
	for i := 0; i < t.NumField(); i++ {
		if celTag(t.Field(i)) == name {
			celFieldIndexes.Store(k, i)
			return i, true
		}
	}
	return 0, false
}

var celFieldIndexes sync.Map // fieldKey -> int

type fieldKey struct {
	t    reflect.Type
	name string
}

var timeType = reflect.TypeFor[time.Time]()

// appendValue encodes v exactly and unambiguously (a type tag before every
// value, lengths before every sequence, map keys sorted). ok is false for
// kinds it cannot encode exactly.
func appendValue(b []byte, v reflect.Value) ([]byte, bool) {
	if !v.IsValid() {
		return append(b, 'n'), true
	}
	switch v.Kind() {
	case reflect.String:
		return appendString(append(b, 's'), v.String()), true
	case reflect.Bool:
		if v.Bool() {
			return append(b, 'T'), true
		}
		return append(b, 'F'), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return binary.AppendVarint(append(b, 'i'), v.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return binary.AppendUvarint(append(b, 'u'), v.Uint()), true
	case reflect.Float32, reflect.Float64:
		return binary.BigEndian.AppendUint64(append(b, 'd'), math.Float64bits(v.Float())), true
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return append(b, 'n'), true
		}
		return appendValue(append(b, 'p'), v.Elem())
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return append(b, 'n'), true
		}
		b = binary.AppendUvarint(append(b, 'l'), uint64(v.Len()))
		for i := 0; i < v.Len(); i++ {
			var ok bool
			if b, ok = appendValue(b, v.Index(i)); !ok {
				return nil, false
			}
		}
		return b, true
	case reflect.Map:
		if v.IsNil() {
			return append(b, 'n'), true
		}
		if v.Type().Key().Kind() != reflect.String {
			return nil, false
		}
		keys := v.MapKeys()
		slices.SortFunc(keys, func(x, y reflect.Value) int {
			switch {
			case x.String() < y.String():
				return -1
			case x.String() > y.String():
				return 1
			}
			return 0
		})
		b = binary.AppendUvarint(append(b, 'm'), uint64(len(keys)))
		for _, k := range keys {
			b = appendString(b, k.String())
			var ok bool
			if b, ok = appendValue(b, v.MapIndex(k)); !ok {
				return nil, false
			}
		}
		return b, true
	case reflect.Struct:
		if v.Type() == timeType {
			t := v.Interface().(time.Time)
			return binary.AppendVarint(append(b, 't'), t.UnixNano()), true
		}
		plan := structPlanOf(v.Type())
		if !plan.exported {
			return nil, false // a value it cannot see is a value it cannot key
		}
		b = appendString(append(b, 'S'), plan.name)
		for i := 0; i < plan.fields; i++ {
			var ok bool
			if b, ok = appendValue(b, v.Field(i)); !ok {
				return nil, false
			}
		}
		return b, true
	}
	return nil, false
}

// structPlan is what appendValue needs of a struct type, computed once.
type structPlan struct {
	name     string
	fields   int
	exported bool // every field is exported
}

var structPlans sync.Map // reflect.Type -> structPlan

func structPlanOf(t reflect.Type) structPlan {
	if p, ok := structPlans.Load(t); ok {
		return p.(structPlan)
	}
	p := structPlan{name: t.String(), fields: t.NumField(), exported: true}
	for i := 0; i < t.NumField(); i++ {
		if !t.Field(i).IsExported() {
			p.exported = false
		}
	}
	structPlans.Store(t, p)
	return p
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}
