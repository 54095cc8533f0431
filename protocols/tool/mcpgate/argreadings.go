package mcpgate

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/coerce"
	"github.com/airlock-sdk/airlock/internal/jsontext"
)

// Tool servers coerce an argument to the type their schema declares:
// Pydantic in lax mode (FastMCP) reads "9" and 9.0 as the integer 9,
// "yes" and "on" as true; a TypeScript server with z.coerce reads "9" as
// 9 and any non-empty string as true. A rule on tool.args.to == 9, or on
// items.exists(i, i.account == 9), sees the string. So a tools/call or
// prompts/get is also judged, without recording, with the arguments under
// the names the rules read, at any depth, read as each coercion reads
// them (coerce.Tree), and refused as rule "mcp/argument-reading" when one
// of those readings is held, denied or masked by a rule where the
// arguments as sent are not. A reading only the default denies does not
// count.

// maxArgReadings bounds the readings of one call; a call with more is
// refused.
const maxArgReadings = 256

// typesCache holds the coerce.Types of the rule set in force.
type typesCache struct {
	cur atomic.Pointer[typesFor]
}

type typesFor struct {
	rs    *gate.RuleSet
	types coerce.Types
}

// get returns the types rs compares tool arguments with, computed once
// per rule set.
func (c *typesCache) get(rs *gate.RuleSet) coerce.Types {
	if t := c.cur.Load(); t != nil && t.rs == rs {
		return t.types
	}
	t := &typesFor{rs: rs, types: coerce.ComparedTypes(rs, readsArgs)}
	c.cur.Store(t)
	return t.types
}

// readsArgs reports whether a rule reading the variables reads tool
// arguments.
func readsArgs(vars []string) bool {
	return slices.ContainsFunc(vars, func(v string) bool { return v == "tool" || strings.HasPrefix(v, "tool.args") })
}

// argReadingRefused returns why req, a tools/call or prompts/get, must be
// refused because a reading of its arguments is judged more strictly than
// the arguments as sent, or "".
func (s *session) argReadingRefused(ctx context.Context, req *gate.Request) string {
	rs := s.conn.Rules()
	if rs == nil || req.Tool == nil {
		return ""
	}
	words := s.g.words.Get(rs)
	spelled := func(k string) bool { return slices.Contains(words[jsontext.FoldKey(k)], k) }
	readings := coerce.Tree(req.Tool.Args, spelled, s.g.types.get(rs))
	if len(readings) == 0 {
		return ""
	}
	if len(readings) > maxArgReadings {
		return "the arguments hold too many values the rules read to judge each as tool servers read it"
	}
	now := time.Now().UTC()
	judge := func(args map[string]any) *gate.Decision {
		alt, tc := *req, *req.Tool
		tc.Args = args
		alt.Tool, alt.Time = &tc, now
		return rs.Decide(ctx, &alt)
	}
	base := judge(req.Tool.Args)
	if base.Action == gate.Deny {
		return "" // refused anyway
	}
	for _, r := range readings {
		args, _ := r.Body.(map[string]any)
		if coerce.Guards(rs, judge(args), base) {
			return r.Why("argument", "") + " (Pydantic's lax mode, zod's coerce), which the rules guard where they do not guard the arguments as sent; send each argument as the type its schema declares"
		}
	}
	return ""
}

// refuseArgumentReading refuses a call a reading of whose arguments the
// rules guard (see argReadingRefused).
func (s *session) refuseArgumentReading(ctx context.Context, kind, name, why string) error {
	method := "tools/call"
	if kind == kindPrompt {
		method = "prompts/get"
	}
	req := &gate.Request{Protocol: gate.ProtocolMCP, Command: method + " " + display(name), Tool: &gate.ToolCall{Kind: kind, Name: name}}
	d, _ := s.conn.Refuse(ctx, req, "argument-reading", why)
	return s.failure(ctx, d, "refused", CodeRefused, "airlock: "+method+" "+display(name)+" refused: "+why)
}
