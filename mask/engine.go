package mask

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Engine holds the compiled detectors, field rules and strategies of one
// Config. It is immutable and safe for concurrent use; build it once per
// rule file and ask it for a Policy per gate decision.
type Engine struct {
	dets    []*detDef
	byName  map[string]*detDef
	fields  []*fieldRule
	fByName map[string]*fieldRule
	aliases map[string]string   // alias -> detector name
	groups  map[string][]string // group -> detector names
	strat   map[string]*strategy
	// tokens holds the labels of the mask tokens the engine emits
	// (masktoken.go).
	tokens map[string]tokenForms
	maxVal int
	maxMat int
	// builtinKW is the shared keyword prefilter of the built-in detectors.
	builtinKW *acMatcher
	// policies caches Policy by the names asked for: rule files name a
	// small set of combinations, and a gate asks once per request.
	policies sync.Map
	nCached  atomic.Int32
	// every caches EveryPolicy.
	every atomic.Pointer[Policy]
	// last is the policy asked for last: decisions of one rule set ask
	// for the same few lists over and over, and finding it costs no key.
	last atomic.Pointer[namedPolicy]
}

const maxCachedPolicies = 1024

// detDef is one detector with its public name.
type detDef struct {
	name   string
	d      detector
	custom bool
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// New validates cfg and compiles it. Errors name the offending detector,
// field rule or strategy.
func New(cfg Config) (*Engine, error) {
	e := &Engine{
		byName:    map[string]*detDef{},
		fByName:   map[string]*fieldRule{},
		aliases:   map[string]string{},
		groups:    map[string][]string{},
		strat:     map[string]*strategy{},
		maxVal:    cfg.MaxValueBytes,
		maxMat:    cfg.MaxMatchBytes,
		builtinKW: builtinAC,
	}
	if e.maxVal < 0 || e.maxMat < 0 {
		return nil, errors.New("mask: limits must not be negative")
	}
	if e.maxVal == 0 {
		e.maxVal = defaultMaxValueBytes
	}
	if e.maxMat == 0 {
		e.maxMat = defaultMaxMatchBytes
	}
	if e.maxMat > maxMaxMatchBytes {
		return nil, fmt.Errorf("mask: max_match_bytes %d is above the bound of %d", e.maxMat, maxMaxMatchBytes)
	}
	for _, b := range builtins {
		d := &detDef{name: b.name, d: b.d}
		e.dets = append(e.dets, d)
		e.byName[b.name] = d
		for _, a := range b.aliases {
			e.aliases[a] = b.name
		}
		for _, g := range b.groups {
			e.groups[g] = append(e.groups[g], b.name)
		}
	}
	taken := func(n string) bool {
		_, d := e.byName[n]
		_, a := e.aliases[n]
		_, g := e.groups[n]
		_, f := e.fByName[n]
		return d || a || g || f || n == groupAll
	}
	for i, cd := range cfg.Detectors {
		if !nameRE.MatchString(cd.Name) {
			return nil, fmt.Errorf("mask: detector #%d: name %q must match %s", i+1, cd.Name, nameRE)
		}
		if taken(cd.Name) {
			return nil, fmt.Errorf("mask: detector %q: name already used by a built-in detector, alias, group or another detector", cd.Name)
		}
		d, err := compileCustom(cd, e.maxMat)
		if err != nil {
			return nil, fmt.Errorf("mask: detector %q: %w", cd.Name, err)
		}
		def := &detDef{name: cd.Name, d: d, custom: true}
		e.dets = append(e.dets, def)
		e.byName[cd.Name] = def
		e.groups["custom"] = append(e.groups["custom"], cd.Name)
	}
	for i, fr := range cfg.Fields {
		if !nameRE.MatchString(fr.Name) {
			return nil, fmt.Errorf("mask: field rule #%d: name %q must match %s", i+1, fr.Name, nameRE)
		}
		if taken(fr.Name) {
			return nil, fmt.Errorf("mask: field rule %q: name already used by a detector, alias, group or another field rule", fr.Name)
		}
		f, err := compileFieldRule(fr)
		if err != nil {
			return nil, fmt.Errorf("mask: field rule %q: %w", fr.Name, err)
		}
		e.fields = append(e.fields, f)
		e.fByName[fr.Name] = f
	}
	if err := e.compileStrategies(cfg); err != nil {
		return nil, err
	}
	e.tokens = emittedTokens(e.strat)
	return e, nil
}

const groupAll = "all"

// compileStrategies resolves one strategy per detector and field rule:
// the item's own Strategy field, else Config.Strategies[name or alias],
// else Config.Strategies[group], else redact.
func (e *Engine) compileStrategies(cfg Config) error {
	own := map[string]string{}
	for _, cd := range cfg.Detectors {
		if cd.Strategy != "" {
			own[cd.Name] = cd.Strategy
		}
	}
	for _, fr := range cfg.Fields {
		if fr.Strategy != "" {
			own[fr.Name] = fr.Strategy
		}
	}
	byName := map[string]string{}
	byGroup := map[string]string{}
	keys := make([]string, 0, len(cfg.Strategies))
	for k := range cfg.Strategies {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := cfg.Strategies[k]
		if _, err := parseStrategy(v); err != nil {
			return fmt.Errorf("mask: strategies[%q]: %w", k, err)
		}
		n := k
		if a, ok := e.aliases[k]; ok {
			n = a
		}
		switch {
		case e.byName[n] != nil || e.fByName[n] != nil:
			if prev, ok := byName[n]; ok && prev != v {
				return fmt.Errorf("mask: strategies: %q is given both %q and %q", n, prev, v)
			}
			if o, ok := own[n]; ok && !strings.EqualFold(o, v) {
				return fmt.Errorf("mask: strategies[%q] = %q conflicts with the strategy %q set on %s itself", k, v, o, n)
			}
			byName[n] = v
		case e.groups[k] != nil || k == groupAll:
			byGroup[k] = v
		default:
			return fmt.Errorf("mask: strategies: unknown detector, group or field rule %q", k)
		}
	}
	pick := func(name string, groups []string) (string, error) {
		if s, ok := own[name]; ok {
			return s, nil
		}
		if s, ok := byName[name]; ok {
			return s, nil
		}
		var s string
		var from string
		for _, g := range groups {
			if v, ok := byGroup[g]; ok {
				if s != "" && v != s {
					return "", fmt.Errorf("mask: %s: groups %q and %q give different strategies; name it directly", name, from, g)
				}
				s, from = v, g
			}
		}
		if s == "" {
			s = byGroup[groupAll]
		}
		return s, nil
	}
	set := func(name string, groups []string) error {
		s, err := pick(name, groups)
		if err != nil {
			return err
		}
		k, err := parseStrategy(s)
		if err != nil {
			return fmt.Errorf("mask: %s: %w", name, err)
		}
		st := &strategy{kind: k, label: labelOf(name)}
		if k == kindHash {
			if len(cfg.HashKey) < 16 {
				return fmt.Errorf("mask: %s: the hash strategy needs Config.HashKey of at least 16 bytes", name)
			}
			st.key = append([]byte(nil), cfg.HashKey...)
		}
		e.strat[name] = st
		return nil
	}
	for _, d := range e.dets {
		if err := set(d.name, e.groupsOf(d.name)); err != nil {
			return err
		}
	}
	for _, f := range e.fields {
		if err := set(f.name, nil); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) groupsOf(name string) []string {
	var gs []string
	for g, ms := range e.groups {
		for _, m := range ms {
			if m == name {
				gs = append(gs, g)
			}
		}
	}
	sort.Strings(gs)
	return gs
}

// Has reports whether name is a detector, an alias of one ("ssn"), a group
// ("pii", "secrets", "custom", "all") or a field rule.
func (e *Engine) Has(name string) bool {
	if e == nil {
		return false
	}
	if name == groupAll {
		return true
	}
	_, d := e.byName[name]
	_, a := e.aliases[name]
	_, g := e.groups[name]
	_, f := e.fByName[name]
	return d || a || g || f
}

// Names lists every detector and field-rule name, built-ins first.
func (e *Engine) Names() []string {
	var out []string
	for _, d := range e.dets {
		out = append(out, d.name)
	}
	for _, f := range e.fields {
		out = append(out, f.name)
	}
	return out
}

// EveryPolicy returns the masker of every detector and field rule the
// engine knows (Policy of Names), built once: what asks "would this column
// be masked at all".
func (e *Engine) EveryPolicy() (*Policy, error) {
	if p := e.every.Load(); p != nil {
		return p, nil
	}
	p, err := e.Policy(e.Names())
	if err != nil || p == nil {
		return p, err
	}
	e.every.Store(p)
	return p, nil
}

// Policy returns the masker for the names a gate decision carries:
// detectors, aliases, groups and field rules. An unknown name is an error.
// No names gives a nil *Policy, which masks nothing.
func (e *Engine) Policy(names []string) (*Policy, error) {
	if len(names) == 0 {
		return nil, nil
	}
	if e == nil {
		return nil, errors.New("mask: Policy on a nil Engine")
	}
	if l := e.last.Load(); l != nil && slices.Equal(l.names, names) {
		return l.p, nil
	}
	key := strings.Join(names, "\x00")
	if v, ok := e.policies.Load(key); ok {
		np := v.(*namedPolicy)
		e.last.Store(np)
		return np.p, nil
	}
	p, err := e.policy(names)
	if err != nil {
		return nil, err
	}
	if e.nCached.Load() < maxCachedPolicies {
		if _, loaded := e.policies.LoadOrStore(key, &namedPolicy{names: slices.Clone(names), p: p}); !loaded {
			e.nCached.Add(1)
		}
	}
	return p, nil
}

// namedPolicy is a Policy and the names it was asked for by.
type namedPolicy struct {
	names []string
	p     *Policy
}

func (e *Engine) policy(names []string) (*Policy, error) {
	wantD := map[string]bool{}
	wantF := map[string]bool{}
	for _, n := range names {
		switch {
		case n == groupAll:
			for _, d := range e.dets {
				wantD[d.name] = true
			}
		case e.byName[n] != nil:
			wantD[n] = true
		case e.aliases[n] != "":
			wantD[e.aliases[n]] = true
		case e.groups[n] != nil:
			for _, m := range e.groups[n] {
				wantD[m] = true
			}
		case e.fByName[n] != nil:
			wantF[n] = true
		default:
			return nil, fmt.Errorf("mask: unknown detector or field rule %q", n)
		}
	}
	p := &Policy{policyConfig: policyConfig{e: e, assign: -1, keyBlocks: -1}}
	for _, d := range e.dets {
		if wantD[d.name] {
			if d.name == "password_assignment" {
				p.assign = len(p.dets)
			}
			if d.name == "email" {
				p.words = true
			}
			if r, ok := d.d.(runDetector); ok {
				p.runDets = append(p.runDets, r)
				p.runIDs = append(p.runIDs, len(p.dets))
			} else if _, ok := d.d.(tokenDetector); ok {
				if p.kwDet == nil {
					p.kwDet = make([]int, len(secretKeywords))
					for i := range p.kwDet {
						p.kwDet[i] = -1
					}
				}
				for i, k := range secretKeywords {
					if k.det == d.name {
						p.kwDet[i] = len(p.dets)
					}
				}
				if d.name == "private_key" {
					p.keyBlocks = len(p.dets)
				}
			} else {
				p.otherIDs = append(p.otherIDs, len(p.dets))
			}
			p.dets = append(p.dets, d)
			p.strat = append(p.strat, e.strat[d.name])
			if l := d.d.maxLen(); l > p.horizon {
				p.horizon = l
			}
		}
	}
	p.runs = runSet{card: -1, ssn: -1, phone: -1, ipv4: -1, iban: -1}
	for k, d := range p.runDets {
		id := p.runIDs[k]
		switch d.(type) {
		case cardDetector:
			p.runs.card = id
		case ssnDetector:
			p.runs.ssn = id
		case phoneDetector:
			p.runs.phone = id
		case ipv4Detector:
			p.runs.ipv4 = id
		case ibanDetector:
			p.runs.iban = id
		default:
			p.runs.other = append(p.runs.other, d)
			p.runs.otherIDs = append(p.runs.otherIDs, id)
		}
	}
	for _, f := range e.fields {
		if wantF[f.name] {
			p.fields = append(p.fields, f)
		}
	}
	p.horizon += ctxBefore
	return p, nil
}
