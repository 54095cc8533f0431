package gate

import (
	"context"
	"sync"
	"time"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/interpreter"
)

// activation resolves the flat CEL variables from a Request with one switch,
// without building a map per request. Activations are pooled.
type activation struct {
	ctx    context.Context
	req    *Request
	stats  SessionStats
	groups ref.Val
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
	a.n, a.req, a.groups, a.ctx = 0, nil, nil, nil
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

func (a *activation) resolve(name string) (any, bool) {
	r := a.req
	s := r.Session
	if s == nil {
		s = &zeroSession
	}
	switch name {
	case "request.protocol":
		return types.String(r.Protocol), true
	case "request.command":
		return types.String(r.Command), true
	case "request.time":
		return types.Timestamp{Time: r.Time}, true
	case "request.reason":
		return types.String(r.Reason), true

	case "identity.subject":
		return types.String(s.Identity.Subject), true
	case "identity.name":
		return types.String(s.Identity.Name), true
	case "identity.groups":
		if a.groups == nil {
			a.groups = types.NewStringList(types.DefaultTypeAdapter, s.Identity.Groups)
		}
		return a.groups, true
	case "identity.claims":
		if s.Identity.Claims == nil {
			return emptyMap, true
		}
		return s.Identity.Claims, true
	case "identity.kind":
		return types.String(s.Identity.EffectiveKind()), true

	case "session.id":
		return types.String(s.ID), true
	case "session.protocol":
		return types.String(s.Protocol), true
	case "session.target":
		return types.String(s.Target), true
	case "session.client_addr":
		return types.String(s.ClientAddr), true
	case "session.requests":
		return types.Int(a.stats.Requests), true
	case "session.denied":
		return types.Int(a.stats.Denied), true
	case "session.requests_last_minute":
		return types.Int(a.stats.RequestsLastMinute), true
	case "session.grants":
		return a.grants(), true

	case "sql.params":
		if r.SQL == nil {
			return emptyStrings, true
		}
		return strList(r.SQL.Params), true
	case "sql.statements":
		if r.SQL == nil {
			return []SQLStatement(nil), true
		}
		return objectList(r.SQL.Statements), true
	}
	if len(name) > 4 && name[:4] == "ssh." {
		return a.resolveSSH(name[4:])
	}
	if len(name) > 5 && name[:5] == "http." {
		return a.resolveHTTP(name[5:])
	}
	if len(name) > 5 && name[:5] == "tool." {
		return a.resolveTool(name[5:])
	}
	return nil, false
}

var (
	zeroSession Session
	zeroSSH     SSH
	zeroHTTP    HTTP
	zeroTool    ToolCall
)

func (a *activation) resolveSSH(field string) (any, bool) {
	x := a.req.SSH
	if x == nil {
		x = &zeroSSH
	}
	switch field {
	case "kind":
		return types.String(x.Kind), true
	case "command":
		return types.String(x.Command), true
	case "programs":
		return strList(x.Programs), true
	case "commands":
		return objectList(x.Commands), true
	case "argv":
		return strList(x.Argv), true
	case "dynamic":
		return types.Bool(x.Dynamic), true
	case "pipes_to_shell":
		return types.Bool(x.PipesToShell), true
	case "interpreter_inline":
		return types.Bool(x.InterpreterInline), true
	case "network":
		return types.Bool(x.Network), true
	case "runs_unseen_code":
		return types.Bool(x.RunsUnseenCode), true
	case "read_only":
		return types.Bool(x.ReadOnly), true
	case "subsystem":
		return types.String(x.Subsystem), true
	case "operation":
		return types.String(x.Operation), true
	case "path":
		return types.String(x.Path), true
	case "target_path":
		return types.String(x.TargetPath), true
	case "host":
		return types.String(x.Host), true
	case "port":
		return types.Int(x.Port), true
	case "env_name":
		return types.String(x.EnvName), true
	case "env_value":
		return types.String(x.EnvValue), true
	}
	return nil, false
}

func (a *activation) resolveHTTP(field string) (any, bool) {
	x := a.req.HTTP
	if x == nil {
		x = &zeroHTTP
	}
	switch field {
	case "method":
		return types.String(x.Method), true
	case "path":
		return types.String(x.Path), true
	case "host":
		return types.String(x.Host), true
	case "query":
		if x.Query == nil {
			return emptyStrLists, true
		}
		return x.Query, true
	case "headers":
		if x.Headers == nil {
			return emptyStrLists, true
		}
		return x.Headers, true
	case "body":
		if x.Body == nil {
			return types.NullValue, true
		}
		return x.Body, true
	}
	return nil, false
}

func (a *activation) resolveTool(field string) (any, bool) {
	x := a.req.Tool
	if x == nil {
		x = &zeroTool
	}
	switch field {
	case "kind":
		return types.String(x.Kind), true
	case "name":
		return types.String(x.Name), true
	case "args":
		if x.Args == nil {
			return emptyMap, true
		}
		return x.Args, true
	case "uri":
		return types.String(x.URI), true
	}
	return nil, false
}

func strList(s []string) ref.Val {
	if s == nil {
		return emptyStrings
	}
	return types.NewStringList(types.DefaultTypeAdapter, s)
}

// objectList converts every element once, so that the many rules of one
// decision iterating the same list do not each convert it again.
func objectList[T any](items []T) ref.Val {
	vals := make([]ref.Val, len(items))
	for i := range items {
		vals[i] = celAdapter.NativeToValue(&items[i])
	}
	return types.NewRefValList(celAdapter, vals)
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
