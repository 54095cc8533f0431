package gate

import (
	"context"
	"sync"
	"time"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/interpreter"
)

// activation resolves the flat CEL variables from a Request through the
// vocabulary's readers, without building a map per request. Activations
// are pooled.
type activation struct {
	ctx   context.Context
	req   *Request
	stats SessionStats
	// cache of converted values, filled as rules ask for them
	n     int
	names [16]string
	vals  [16]ref.Val
}

var activationPool = sync.Pool{New: func() any { return new(activation) }}

func newActivation(req *Request) *activation {
	a := activationPool.Get().(*activation)
	a.req = req
	if req.Session != nil {
		a.stats = req.Session.stats.snapshot(req.Time)
	}
	return a
}

func (a *activation) release() {
	for i := 0; i < a.n; i++ {
		a.names[i], a.vals[i] = "", nil
	}
	a.n, a.req, a.ctx = 0, nil, nil
	activationPool.Put(a)
}

// Parent implements interpreter.Activation.
func (a *activation) Parent() interpreter.Activation { return nil }

// ResolveName implements interpreter.Activation. Converted values are
// cached for the life of one decision, so a hundred rules reading
// request.protocol convert it once.
func (a *activation) ResolveName(name string) (any, bool) {
	for i := 0; i < a.n; i++ {
		if a.names[i] == name {
			return a.vals[i], true
		}
	}
	v, ok := a.resolve(name)
	if !ok {
		return nil, false
	}
	rv, isVal := v.(ref.Val)
	if !isVal {
		rv = celAdapter.NativeToValue(v)
	}
	if a.n < len(a.names) {
		a.names[a.n], a.vals[a.n] = name, rv
		a.n++
	}
	return rv, true
}

// resolve reads a variable of the vocabulary.
func (a *activation) resolve(name string) (any, bool) {
	v := variableNamed(name)
	if v == nil {
		return nil, false
	}
	return v.celValue(a), true
}

// grants loads the identity's active grants for session.grants. A grant
// store that fails makes every rule reading them fail, which denies.
func (a *activation) grants() ref.Val {
	ctx := a.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	list, err := grantLookupFrom(ctx).get(ctx)
	if err != nil {
		return types.NewErr("session.grants: %v", err)
	}
	now := a.req.Time
	if now.IsZero() {
		now = time.Now()
	}
	out := make([]any, 0, min(len(list), MaxGrantsSeen))
	for i := range list {
		g := &list[i]
		if !g.Active(now) {
			continue
		}
		if len(out) == MaxGrantsSeen {
			break
		}
		by := make([]string, len(g.GrantedBy))
		for j, id := range g.GrantedBy {
			by[j] = id.Subject
		}
		out = append(out, map[string]any{
			"id": g.ID, "rules": append([]string(nil), g.Rules...), "scope": string(g.Scope),
			"protocol": g.Protocol, "target": g.Target, "expires_at": g.ExpiresAt,
			"uses": int64(g.Uses), "uses_left": int64(g.UsesLeft()), "granted_by": by,
		})
	}
	return celAdapter.NativeToValue(out)
}
