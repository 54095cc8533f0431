package gate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/airlock-sdk/airlock/mask"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/interpreter"
)

// Limits on rule cost. The estimate is checked when a rule set is loaded, the
// limit while a rule runs; a rule over either is refused or denies.
const (
	// MaxEstimatedCost is the highest worst-case cost a rule may have at load.
	MaxEstimatedCost = 100_000_000
	// RuntimeCostLimit stops a rule's evaluation; the rule then counts as deny.
	RuntimeCostLimit = 1_000_000
)

// RuleOption adjusts how a rule file is compiled.
type RuleOption func(*ruleOptions)

type ruleOptions struct {
	maskNames func(name string) bool
	hashKey   []byte
	noCache   bool
	noNative  bool
}

// WithoutDecisionCache makes every decision evaluate every rule, for
// measuring rule cost or ruling the cache out while debugging. The cache is
// otherwise always on: it serves only rules whose outcome is a function of
// the request (see Decision.Cached).
func WithoutDecisionCache() RuleOption {
	return func(o *ruleOptions) { o.noCache = true }
}

// WithMaskHashKey sets the key of the masking engine's hash strategy (a
// keyed HMAC, so equal values mask equally without revealing them).
func WithMaskHashKey(key []byte) RuleOption {
	return func(o *ruleOptions) { o.hashKey = key }
}

// WithMaskNames makes the loader refuse mask directives for which known
// returns false, so a typo in `mask:` is a load error.
func WithMaskNames(known func(name string) bool) RuleOption {
	return func(o *ruleOptions) { o.maskNames = known }
}

// RuleSet is a compiled, immutable rule file. Compile once, evaluate many
// times, from many goroutines.
type RuleSet struct {
	name    string
	version string
	def     Action
	rules   []*compiledRule
	any     []*compiledRule            // rules that may match any protocol
	byProto map[string][]*compiledRule // rules per protocol, in file order
	parts   map[string]*partition      // the same, with their cache keys
	anyPart *partition
	cache   decisionCache
	noCache bool // tests: decide every rule afresh
	// readsRuns is true when a rule reads the run's state (see
	// readsRunState).
	readsRuns bool
	// readsGrants is true when a rule reads session.grants.
	readsGrants bool
	masks       *mask.Engine
	// defReason is the reason of a default decision.
	defReason string
	// labels maps mask findings to run labels.
	labels labelSources
}

type compiledRule struct {
	spec      RuleSpec
	action    Action
	audit     bool
	prg       cel.Program // with runtime cost tracking
	fast      cel.Program // without; nil when the estimate cannot bound the rule
	native    boolFn      // the same as Go closures; nil outside the native subset
	protocols []string    // the protocols it can match; nil means any
	reads     []string    // the variables it reads
	volatile  bool        // reads a variable that is not a function of the request
	costMin   uint64
	costMax   uint64
}

// RuleInfo describes a compiled rule, for tools that check rule files.
type RuleInfo struct {
	Spec RuleSpec
	// Protocols the rule can match; nil means any.
	Protocols []string
	// CostMin and CostMax are CEL's estimate of the rule's evaluation cost,
	// with lists bounded at 256 items and strings at 4 KiB.
	CostMin, CostMax uint64
	// Reads are the variables (see Variables) the rule's condition reads,
	// sorted, as CEL's type checker resolved them: a comprehension variable
	// is never one.
	Reads []string
}

// ruleReads reports whether the rule named name reads the variable v.
func (rs *RuleSet) ruleReads(name, v string) bool {
	for _, r := range rs.rules {
		if r.spec.Name == name {
			return slices.Contains(r.reads, v)
		}
	}
	return false
}

// Info describes every rule of the set, in file order.
func (rs *RuleSet) Info() []RuleInfo {
	out := make([]RuleInfo, len(rs.rules))
	for i, r := range rs.rules {
		out[i] = RuleInfo{Spec: r.spec, Protocols: r.protocols, CostMin: r.costMin, CostMax: r.costMax, Reads: slices.Clone(r.reads)}
	}
	return out
}

// Version is the rule set's content hash ("sha256:" and 16 hex digits).
func (rs *RuleSet) Version() string {
	if rs == nil {
		return "none"
	}
	return rs.version
}

// contentVersion is the version of a rule file's content.
func contentVersion(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:8])
}

// Name is the file name the rule set was loaded from.
func (rs *RuleSet) Name() string { return rs.name }

// Default is the action when no rule matches.
func (rs *RuleSet) Default() Action { return rs.def }

// Specs returns the rules as written.
func (rs *RuleSet) Specs() []RuleSpec {
	out := make([]RuleSpec, len(rs.rules))
	for i, r := range rs.rules {
		out[i] = r.spec
	}
	return out
}

func compileRuleFile(name string, data []byte, f *RuleFile, opts ...RuleOption) (*RuleSet, error) {
	var o ruleOptions
	for _, opt := range opts {
		opt(&o)
	}
	env, err := ruleEnv()
	if err != nil {
		return nil, fmt.Errorf("rules: CEL environment: %w", err)
	}
	rs := &RuleSet{name: name, version: contentVersion(data), def: Deny, byProto: map[string][]*compiledRule{}, noCache: o.noCache}
	if f.Default != "" {
		if rs.def, err = ParseAction(f.Default); err != nil {
			return nil, fmt.Errorf("rules: %s: default: %w", name, err)
		}
	}
	var mcfg mask.Config
	if f.Masking.Kind != 0 {
		if err := f.Masking.Decode(&mcfg); err != nil {
			return nil, fmt.Errorf("rules: %s:%d: masking: %w", name, f.Masking.Line, err)
		}
	}
	rs.defReason = "no rule matched; the default is " + string(rs.def)
	mcfg.HashKey = o.hashKey
	if rs.masks, err = mask.New(mcfg); err != nil {
		return nil, fmt.Errorf("rules: %s:%d: masking: %w", name, f.Masking.Line, err)
	}
	if o.maskNames == nil {
		o.maskNames = rs.masks.Has
	}
	if rs.labels, err = compileLabelSources(f.Labels, rs.masks); err != nil {
		return nil, fmt.Errorf("rules: %s: labels: %w", name, err)
	}
	seen := map[string]bool{}
	var errs []error
	for i := range f.Rules {
		spec := f.Rules[i]
		r, err := compileRule(env, spec, o)
		if err == nil && seen[spec.Name] {
			err = errors.New("duplicate rule name")
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("rules: %s:%d: rule %q: %w", name, spec.line, spec.Name, err))
			continue
		}
		seen[spec.Name] = true
		rs.rules = append(rs.rules, r)
		rs.readsRuns = rs.readsRuns || readsRunState(r.reads)
		rs.readsGrants = rs.readsGrants || slices.Contains(r.reads, "session.grants")
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	rs.partition()
	return rs, nil
}

func compileRule(env *cel.Env, spec RuleSpec, o ruleOptions) (*compiledRule, error) {
	r := &compiledRule{spec: spec}
	if strings.TrimSpace(spec.Name) == "" {
		return nil, errors.New("a rule needs a name")
	}
	if strings.TrimSpace(spec.When) == "" {
		return nil, errors.New("a rule needs a when expression")
	}
	if spec.Action != "" {
		a, err := ParseAction(spec.Action)
		if err != nil {
			return nil, err
		}
		r.action = a
	} else if len(spec.Mask) == 0 && len(spec.Labels) == 0 {
		return nil, errors.New("a rule needs an action, a mask or labels")
	}
	for _, l := range spec.Labels {
		if err := checkLabelName(l); err != nil {
			return nil, fmt.Errorf("labels: %w", err)
		}
	}
	switch spec.Mode {
	case "", "enforce":
	case "audit":
		r.audit = true
	default:
		return nil, fmt.Errorf("unknown mode %q (want enforce or audit)", spec.Mode)
	}
	if spec.Review != nil && r.action != Review {
		return nil, errors.New("review settings need action: review")
	}
	if spec.Review != nil {
		p := spec.Review
		if p.Approvals < 0 || p.Denials < 0 || p.TTL < 0 || p.MaxGrant < 0 {
			return nil, errors.New("review: approvals, denials, ttl and max_grant must not be negative")
		}
	}
	for _, m := range spec.Mask {
		if o.maskNames != nil && !o.maskNames(m) {
			return nil, fmt.Errorf("mask: unknown detector or field rule %q", m)
		}
	}
	checked, iss := env.Compile(spec.When)
	if iss != nil && iss.Err() != nil {
		return nil, celError(spec, iss.Errors())
	}
	if !checked.OutputType().IsExactType(types.BoolType) {
		return nil, fmt.Errorf("when: must be a bool expression, not %s", checked.OutputType())
	}
	est, err := env.EstimateCost(checked, sizeEstimator{})
	if err != nil {
		return nil, fmt.Errorf("when: cost estimate: %w", err)
	}
	if est.Max > MaxEstimatedCost {
		return nil, fmt.Errorf("when: too expensive: worst-case cost %d exceeds %d", est.Max, MaxEstimatedCost)
	}
	prg, err := env.Program(checked,
		cel.CostLimit(RuntimeCostLimit),
		cel.InterruptCheckFrequency(64),
		cel.EvalOptions(cel.OptOptimize),
	)
	if err != nil {
		return nil, fmt.Errorf("when: %w", err)
	}
	r.prg = prg
	r.costMin, r.costMax = est.Min, est.Max
	// When the worst case is within the runtime limit for any request whose
	// sizes are within the estimator's bounds, tracking cost at run time can
	// never trip the limit; such requests use an untracked program.
	if est.Max <= RuntimeCostLimit {
		if r.fast, err = env.Program(checked, cel.EvalOptions(cel.OptOptimize)); err != nil {
			return nil, fmt.Errorf("when: %w", err)
		}
	}
	r.protocols = protocolsOf(checked.NativeRep().Expr())
	if r.fast != nil && !o.noNative {
		r.native = compileNative(checked.NativeRep())
	}
	r.reads = readsOf(checked.NativeRep().Expr())
	for _, v := range r.reads {
		if !isStable(v) {
			r.volatile = true
		}
	}
	return r, nil
}

// celError turns CEL issues into one error whose lines point into the file.
func celError(spec RuleSpec, errs []*cel.Error) error {
	var b strings.Builder
	b.WriteString("when: ")
	for i, e := range errs {
		if i > 0 {
			b.WriteString("; ")
		}
		line := spec.whenLine + e.Location.Line() - 1
		if spec.whenLine == 0 {
			line = e.Location.Line()
		}
		fmt.Fprintf(&b, "line %d col %d: %s", line, e.Location.Column()+1, e.Message)
	}
	return errors.New(b.String())
}

// partition groups rules by the protocols they can match, keeping file order,
// so a request only evaluates rules that could apply to it.
func (rs *RuleSet) partition() {
	protos := map[string]bool{}
	for _, r := range rs.rules {
		for _, p := range r.protocols {
			protos[p] = true
		}
	}
	for _, r := range rs.rules {
		if r.protocols == nil {
			rs.any = append(rs.any, r)
		}
	}
	for p := range protos {
		var list []*compiledRule
		for _, r := range rs.rules {
			if r.protocols == nil || slices.Contains(r.protocols, p) {
				list = append(list, r)
			}
		}
		rs.byProto[p] = list
	}
	rs.parts = make(map[string]*partition, len(rs.byProto))
	for p, list := range rs.byProto {
		rs.parts[p] = newPartition(list)
	}
	rs.anyPart = newPartition(rs.any)
}

func (rs *RuleSet) partitionFor(protocol string) *partition {
	if p, ok := rs.parts[protocol]; ok {
		return p
	}
	return rs.anyPart
}

// protocolsOf finds a top-level conjunct `request.protocol == "x"` (or
// session.protocol, or `in [...]`) and returns the protocols the expression
// can match; nil means it may match any.
func protocolsOf(e ast.Expr) []string {
	if e.Kind() != ast.CallKind {
		return nil
	}
	call := e.AsCall()
	args := call.Args()
	switch call.FunctionName() {
	case "_&&_":
		for _, a := range args {
			if p := protocolsOf(a); p != nil {
				return p
			}
		}
	case "_==_":
		if len(args) == 2 {
			if isProtocolIdent(args[0]) {
				return stringLiteral(args[1])
			}
			if isProtocolIdent(args[1]) {
				return stringLiteral(args[0])
			}
		}
	case "@in":
		if len(args) == 2 && isProtocolIdent(args[0]) && args[1].Kind() == ast.ListKind {
			var out []string
			for _, el := range args[1].AsList().Elements() {
				s := stringLiteral(el)
				if s == nil {
					return nil
				}
				out = append(out, s...)
			}
			return out
		}
	}
	return nil
}

func isProtocolIdent(e ast.Expr) bool {
	return e.Kind() == ast.IdentKind && (e.AsIdent() == "request.protocol" || e.AsIdent() == "session.protocol")
}

func stringLiteral(e ast.Expr) []string {
	if e.Kind() != ast.LiteralKind {
		return nil
	}
	if s, ok := e.AsLiteral().Value().(string); ok {
		return []string{s}
	}
	return nil
}

// Decide evaluates the rules against req and returns the rule-based
// decision, before any review or recording. A nil rule set denies.
func (rs *RuleSet) Decide(ctx context.Context, req *Request) *Decision {
	start := time.Now()
	if rs == nil {
		return &Decision{Action: Deny, Rule: "gate", Reason: "no rule set is loaded", RuleSetVersion: "none", Time: start.UTC()}
	}
	part := rs.partitionFor(req.Protocol)
	bounded := part.sizes.within(req)
	kb := keyBufs.Get().(*[]byte)
	key, hit := rs.lookup(ctx, part, req, bounded, (*kb)[:0])
	// The CEL frame is built only if a rule needs the interpreter; rules
	// compiled to Go closures do not.
	cf := &celFrame{ctx: ctx, req: req}
	defer cf.close()
	env := nativeEnvs.Get().(*nativeEnv)
	env.req = req
	defer env.release()
	if hit != nil && hit.decision != nil && rs.quiet(ctx, part, cf, env, bounded) {
		putKeyBuf(kb, key)
		return hit.decision.reuse(start)
	}
	var buf [128]ruleOutcome
	outcomes, errs, interrupted := rs.evaluate(ctx, part, cf, env, bounded, hit, buf[:0])
	d := rs.aggregate(ctx, part, outcomes, errs)
	d.Time, d.Cached = start.UTC(), hit != nil
	if key != nil && hit == nil && !interrupted {
		rs.remember(ctx, part, key, outcomes, errs, d)
	}
	putKeyBuf(kb, key)
	d.Elapsed = time.Since(start)
	return d
}

// keyBufs are the buffers cache keys are built in.
var keyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// maxPooledKey bounds a key buffer kept for reuse: one grown for a huge
// request is left to the collector.
const maxPooledKey = 64 << 10

// putKeyBuf returns kb to keyBufs, keeping key's larger backing array when
// key outgrew it.
func putKeyBuf(kb *[]byte, key []byte) {
	if cap(key) > cap(*kb) && cap(key) <= maxPooledKey {
		*kb = key[:0]
	}
	keyBufs.Put(kb)
}

// lookup builds the request's cache key in buf and looks it up. key is nil
// when the cache does not serve the request (also while it rests: see
// cacheUse); hit is nil on a miss.
func (rs *RuleSet) lookup(ctx context.Context, part *partition, req *Request, bounded bool, buf []byte) (key []byte, hit *cachedOutcomes) {
	if !part.cacheable || rs.noCache || ctx.Err() != nil || !part.use.keyed() {
		return nil, nil
	}
	key, ok := part.cacheKey(buf, req, bounded)
	if !ok {
		part.use.record(false)
		return nil, nil
	}
	hit = rs.cache.get(key)
	part.use.record(hit != nil)
	return key, hit
}

// remember caches the outcomes of the partition's cached rules under key,
// and the decision they give when every rule the cache does not serve is
// false (see quiet), unless it carries an error (those are decided
// afresh).
func (rs *RuleSet) remember(ctx context.Context, part *partition, key []byte, outcomes []ruleOutcome, errs map[int]string, d *Decision) {
	keep := &cachedOutcomes{outcomes: slices.Clone(outcomes)}
	for i, msg := range errs {
		if part.caches(part.rules[i]) {
			if keep.errs == nil {
				keep.errs = map[int]string{}
			}
			keep.errs[i] = msg
		}
	}
	if len(outcomes) == len(part.rules) {
		quiet := d
		if !allFalse(outcomes, part.fresh) {
			for _, i := range part.fresh {
				keep.outcomes[i] = outcomeFalse
			}
			quiet = rs.aggregate(ctx, part, keep.outcomes, keep.errs)
		}
		if len(quiet.Errors) == 0 {
			keep.decision = quiet.clone()
		}
	}
	rs.cache.put(key, keep)
}

// allFalse reports whether the outcomes at the indexes are all false.
func allFalse(outcomes []ruleOutcome, indexes []int) bool {
	for _, i := range indexes {
		if outcomes[i] != outcomeFalse {
			return false
		}
	}
	return true
}

// quiet evaluates only the rules the cache does not serve (those reading
// the time or counters) and reports whether every one is false: the
// decision is then the cached one, since a false rule takes no part in a
// decision. It reports false on an error or when the context ended, and
// the request is decided in full.
func (rs *RuleSet) quiet(ctx context.Context, part *partition, cf *celFrame, env *nativeEnv, bounded bool) bool {
	if len(part.fresh) == 0 {
		return true
	}
	for _, i := range part.fresh {
		r := part.rules[i]
		if bounded && r.native != nil {
			if r.native(env) {
				return false
			}
			continue
		}
		if ctx.Err() != nil {
			return false
		}
		out, err := r.eval(cf, bounded)
		if err != nil || out != types.False {
			return false
		}
	}
	return true
}

// eval runs the rule in the CEL interpreter: untracked when the request is
// within the cost estimate, else with the runtime cost limit.
func (r *compiledRule) eval(cf *celFrame, bounded bool) (ref.Val, error) {
	prg := r.prg
	if bounded && r.fast != nil {
		prg = r.fast
	}
	frame, err := cf.get()
	if err != nil {
		return nil, err
	}
	out, _, err := prg.Eval(frame)
	return out, err
}

// aggregate turns the outcomes of the partition's rules (fewer than its
// rules when the context ended) into a decision: the strictest action of
// the matching enforced rules, the union of their masks and labels.
func (rs *RuleSet) aggregate(ctx context.Context, part *partition, outcomes []ruleOutcome, errs map[int]string) *Decision {
	d := newDecision(matches(outcomes))
	d.RuleSetVersion = rs.version
	var action Action
	var decider *compiledRule
	var evalErr bool
	for i, r := range part.rules {
		if i >= len(outcomes) {
			// Evaluation stopped here: the context ended.
			d.Rules = append(d.Rules, r.spec.Name)
			d.Errors = append(d.Errors, fmt.Sprintf("rule %q: %v", r.spec.Name, ctx.Err()))
			action, decider, evalErr = Deny, r, true
			break
		}
		switch outcomes[i] {
		case outcomeError:
			if r.audit {
				d.Audit = append(d.Audit, AuditOutcome{Rule: r.spec.Name, Action: Deny, Error: errs[i]})
				continue
			}
			d.Rules = append(d.Rules, r.spec.Name)
			d.Errors = append(d.Errors, fmt.Sprintf("rule %q: %s", r.spec.Name, errs[i]))
			if Deny.strictness() > action.strictness() || !evalErr && action == Deny {
				action, decider, evalErr = Deny, r, true
			}
			continue
		case outcomeFalse:
			continue
		}
		if r.audit {
			d.Audit = append(d.Audit, AuditOutcome{Rule: r.spec.Name, Action: r.action, Mask: r.spec.Mask})
			continue
		}
		d.match(r)
		if r.action.strictness() > action.strictness() {
			action, decider, evalErr = r.action, r, false
		}
	}
	if len(d.Rules) == 0 {
		d.Rules = nil // as when none was counted
	}
	if len(d.Mask) == 0 {
		d.Mask = nil // newDecision's room, unused
	}
	rs.settle(d, action, decider, evalErr)
	return d
}

// newDecision returns an empty decision with room for the names of
// matched rules (Rules, capped at matched) and, in what is left, for the
// masks they name (Mask, empty but not nil): for the usual few matches,
// one allocation instead of a decision and two growing lists.
func newDecision(matched int) *Decision {
	if matched <= 0 || matched > len(decisionWithNames{}.names) {
		d := new(Decision)
		if matched > 0 {
			d.Rules = make([]string, 0, matched)
		}
		return d
	}
	x := new(decisionWithNames)
	x.d.Rules = x.names[:0:matched]
	x.d.Mask = x.names[matched:matched]
	return &x.d
}

// unionInto appends to dst the names of add it does not hold yet, in
// their order. The first rule's list is taken in one allocation, not grown
// name by name; dst never shares add's array (a rule's list stays its own).
func unionInto(dst, add []string) []string {
	if len(add) == 0 {
		return dst
	}
	if dst == nil {
		dst = make([]string, 0, len(add))
	}
	for _, n := range add {
		if !slices.Contains(dst, n) {
			dst = append(dst, n)
		}
	}
	return dst
}

// matches counts the outcomes that are not false.
func matches(outcomes []ruleOutcome) int {
	n := 0
	for _, o := range outcomes {
		if o != outcomeFalse {
			n++
		}
	}
	return n
}

// match adds an enforced rule that matched to d.
func (d *Decision) match(r *compiledRule) {
	d.Rules = append(d.Rules, r.spec.Name)
	d.Mask = unionInto(d.Mask, r.spec.Mask)
	d.Labels = unionInto(d.Labels, r.spec.Labels)
	if r.action == Review {
		d.ReviewRules = append(d.ReviewRules, r.spec.Name)
		// A review rule without a review block still counts: its
		// defaults (no grants) take part in the strictest policy.
		pol := r.spec.Review
		if pol == nil {
			pol = &ReviewPolicy{}
		}
		d.Review = mergeReview(d.Review, pol)
	}
}

// settle sets d's action, rule and reason from the deciding rule, and its
// masker.
func (rs *RuleSet) settle(d *Decision, action Action, decider *compiledRule, evalErr bool) {
	switch {
	case decider == nil:
		d.Action, d.Rule = rs.def, "default"
		d.Reason = rs.defReason
	case evalErr:
		d.Action, d.Rule = Deny, decider.spec.Name
		d.Reason = fmt.Sprintf("rule %q could not be evaluated", decider.spec.Name)
	default:
		d.Action, d.Rule, d.Reason = action, decider.spec.Name, decider.spec.Reason
	}
	if d.Action != Review {
		d.Review = nil
		d.ReviewRules = nil
	}
	if d.Action == Deny {
		d.Labels = nil // nothing is read
	}
	if len(d.Mask) > 0 && d.Action != Deny {
		p, err := rs.masks.Policy(d.Mask) // the engine caches a policy per directive list
		if err != nil {
			// Results could not be masked as the rules demand: refuse.
			d.Action, d.Rule, d.Reason = Deny, "gate", "the results could not be masked"
			d.Errors = append(d.Errors, "mask: "+err.Error())
		}
		d.Masker = p
	}
}

// evaluate runs the partition's rules, taking the outcomes of cached rules
// from hit when there is one, and returns one outcome per rule (fewer when
// the context ended: evaluation stops at the first rule it reaches after
// that), the error texts by index, and whether the context interrupted it.
func (rs *RuleSet) evaluate(ctx context.Context, part *partition, cf *celFrame, env *nativeEnv, bounded bool, hit *cachedOutcomes, outcomes []ruleOutcome) ([]ruleOutcome, map[int]string, bool) {
	var errs map[int]string
	owned := true // errs may be written
	if hit != nil && hit.errs != nil {
		errs, owned = hit.errs, false
	}
	interrupted := false
	for i, r := range part.rules {
		if hit != nil && part.caches(r) {
			outcomes = append(outcomes, hit.outcomes[i])
			continue
		}
		if ctx.Err() != nil && !r.audit {
			interrupted = true
			break
		}
		if bounded && r.native != nil {
			if r.native(env) {
				outcomes = append(outcomes, outcomeTrue)
			} else {
				outcomes = append(outcomes, outcomeFalse)
			}
			continue
		}
		out, err := r.eval(cf, bounded)
		switch {
		case err != nil:
			if errs == nil || !owned {
				errs, owned = copyErrs(errs), true
			}
			errs[i] = err.Error()
			outcomes = append(outcomes, outcomeError)
			if ctx.Err() != nil {
				interrupted = true // an error caused by the context is not the rule's answer
			}
		case out == types.True:
			outcomes = append(outcomes, outcomeTrue)
		default:
			outcomes = append(outcomes, outcomeFalse)
		}
	}
	return outcomes, errs, interrupted
}

// celFrame builds the interpreter's execution frame on first use. One frame
// serves every CEL rule of a decision: the context is wired once, and the
// runtime cost limit bounds the decision as a whole.
type celFrame struct {
	ctx   context.Context
	req   *Request
	act   *activation
	frame *interpreter.ExecutionFrame
	err   error
}

func (c *celFrame) get() (*interpreter.ExecutionFrame, error) {
	if c.frame != nil || c.err != nil {
		return c.frame, c.err
	}
	c.act = newActivation(c.req)
	c.act.ctx = c.ctx
	c.frame, c.err = interpreter.NewExecutionFrame(c.act)
	if c.err == nil && c.ctx.Done() != nil {
		c.err = c.frame.SetContext(c.ctx, 64)
	}
	if c.err != nil {
		c.err = fmt.Errorf("the rules could not be evaluated: %w", c.err)
	}
	return c.frame, c.err
}

func (c *celFrame) close() {
	if c.frame != nil {
		c.frame.Close()
	}
	if c.act != nil {
		c.act.release()
	}
}

func copyErrs(m map[int]string) map[int]string {
	out := make(map[int]string, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Masks returns the masking engine built from the rule file's masking
// section (built-in detectors plus custom ones).
func (rs *RuleSet) Masks() *mask.Engine { return rs.masks }

// mergeReview combines the policies of several matching review rules into
// the strictest: most approvals, fewest denials to reject, shortest TTL,
// and each rule's own reviewer and break-glass groups in RuleParts.
func mergeReview(cur, next *ReviewPolicy) *ReviewPolicy {
	if cur == nil {
		p := *next
		return &p
	}
	p := *cur
	p.Approvals = max(p.Approvals, next.Approvals)
	if next.Denials > 0 && (p.Denials == 0 || next.Denials < p.Denials) {
		p.Denials = next.Denials
	}
	if next.TTL > 0 && (p.TTL == 0 || next.TTL < p.TTL) {
		p.TTL = next.TTL
	}
	if len(p.ReviewerGroups) == 0 {
		p.ReviewerGroups = next.ReviewerGroups
	}
	p.RequireReason = p.RequireReason || next.RequireReason
	p.RequireDisplayable = p.RequireDisplayable || next.RequireDisplayable
	p.RequireRequesterReason = p.RequireRequesterReason || next.RequireRequesterReason
	p.MaxGrant = min(p.MaxGrant, next.MaxGrant) // zero, forbidding grants, is the strictest
	// Who may review, and who breaks the glass, is judged rule by rule.
	p.RuleParts = cur.withRule(*next)
	p.BreakGlassGroups = commonGroups(p.BreakGlassGroups, next.BreakGlassGroups)
	return &p
}
