package gate

import (
	"context"
	"fmt"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
)

// runLookup loads the state of one request's run once, for every rule that
// reads run.* or usage.*; a gate without runs has none, and the variables
// read as an empty run.
type runLookup struct {
	store RunStore
	run   string
	// identityRun, when set, holds labels that also apply (a client-named
	// run the gate does not trust).
	identityRun string
	subject     string
	now         time.Time
	done        bool
	state       RunState
	err         error
}

func (l *runLookup) get(ctx context.Context) (*RunState, error) {
	if l == nil || l.store == nil {
		return &emptyRunState, nil
	}
	if !l.done {
		l.done = true
		l.state, l.err = l.store.State(ctx, l.run, l.subject, l.now)
		if l.err == nil && l.identityRun != "" {
			var id RunState
			if id, l.err = l.store.State(ctx, l.identityRun, l.subject, l.now); l.err == nil {
				for name, lb := range id.Labels {
					if _, ok := l.state.Labels[name]; !ok {
						if l.state.Labels == nil {
							l.state.Labels = map[string]Label{}
						}
						l.state.Labels[name] = lb
					}
				}
			}
		}
		if l.err != nil {
			l.err = fmt.Errorf("runs: %w", l.err)
		}
	}
	return &l.state, l.err
}

var emptyRunState = RunState{Run: newUsage(), Identity: newUsage()}

type runLookupKey struct{}

func withRunLookup(ctx context.Context, l *runLookup) context.Context {
	return context.WithValue(ctx, runLookupKey{}, l)
}

func runLookupFrom(ctx context.Context) *runLookup {
	if ctx == nil {
		return nil
	}
	l, _ := ctx.Value(runLookupKey{}).(*runLookup)
	return l
}

// runState is the state behind run.* and usage.*; a store that fails makes
// every rule reading them fail, which denies.
func (a *activation) runState() (*RunState, ref.Val) {
	st, err := runLookupFrom(a.ctx).get(a.ctx)
	if err != nil {
		return nil, types.NewErr("run: %v", err)
	}
	return st, nil
}

// runStateVars are the names of the variables runVariables declares.
var runStateVars = func() map[string]bool {
	m := map[string]bool{}
	for _, v := range runVariables() {
		m[v.name] = true
	}
	return m
}()

// readsRunState reports whether a rule reading reads reads the run's state.
func readsRunState(reads []string) bool {
	for _, v := range reads {
		if runStateVars[v] {
			return true
		}
	}
	return false
}

// runVariables declares run.id, run.labels (label name to the time it was
// set), and per metric run.<metric>_last_minute/_last_hour and
// usage.<metric>_last_minute/_last_hour (the identity across its runs).
func runVariables() []*variable {
	vs := []*variable{
		{name: "run.id", scope: ScopeVolatile, typ: cel.StringType,
			unbounded: "bounded by Open (MaxRunIDBytes)", read: func(a *activation) ref.Val {
				if a.req.Session != nil && a.req.Session.Run != "" {
					return types.String(a.req.Session.Run)
				}
				return types.String("")
			}},
		{name: "run.labels", scope: ScopeVolatile, typ: cel.MapType(cel.StringType, cel.TimestampType),
			unbounded: "labels are named in the rule file, not by the requester",
			read: func(a *activation) ref.Val {
				st, errVal := a.runState()
				if errVal != nil {
					return errVal
				}
				m := make(map[string]time.Time, len(st.Labels))
				for name, l := range st.Labels {
					m[name] = l.Time
				}
				return celAdapter.NativeToValue(m)
			}},
	}
	for _, m := range Metrics {
		for _, w := range []struct {
			suffix string
			pick   func(Usage) map[Metric]int64
		}{
			{"_last_minute", func(u Usage) map[Metric]int64 { return u.LastMinute }},
			{"_last_hour", func(u Usage) map[Metric]int64 { return u.LastHour }},
		} {
			for _, scope := range []struct {
				root string
				pick func(*RunState) Usage
			}{
				{"run.", func(s *RunState) Usage { return s.Run }},
				{"usage.", func(s *RunState) Usage { return s.Identity }},
			} {
				vs = append(vs, &variable{name: scope.root + string(m) + w.suffix, scope: ScopeVolatile, typ: cel.IntType,
					read: func(a *activation) ref.Val {
						st, errVal := a.runState()
						if errVal != nil {
							return errVal
						}
						return types.Int(w.pick(scope.pick(st))[m])
					}})
			}
		}
	}
	return vs
}
