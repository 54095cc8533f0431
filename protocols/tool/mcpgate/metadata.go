package mcpgate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
)

// Metadata masking.
//
// Everything an upstream server puts in front of the client goes through the
// masker, not only results: the items of tools/list, resources/list,
// resources/templates/list and prompts/list (descriptions, titles, input and
// output schemas with their property names, descriptions, defaults and
// examples, annotations, icons, URIs, _meta), the initialize result's
// instructions and serverInfo, the upstream's error messages, and list
// cursors (which the client never sees: it gets opaque tokens of the
// gateway). Each item is masked as a whole JSON document, so a field the
// gateway does not know of is masked too.
//
// The masks of an item are those of the list's decision united with those
// of the item's probe decision (what a call of the item would be masked
// with). The masks of the initialize result are those of the initialize
// request (tool.kind "initialize", tool.name the client's name; decided by
// the rules but not enforced) and of a generic request of each kind. A decision whose rules failed to evaluate
// takes every mask directive of the rule set, since its own are unknown.
//
// Names the client calls back (tool and prompt names) must stay exact, so an
// item whose name a mask would change is withheld from the list, and hence
// not callable. A resource URI is masked like the rest; a masked URI is not
// readable by its masked form.
//
// The gateway does not relay the upstream's notifications (log messages,
// progress, resource updates, list changes): none reaches the client.

// metaPolicy returns the masking policy of metadata judged by ds.
func (s *session) metaPolicy(ds ...*gate.Decision) (*mask.Policy, error) {
	rs := s.g.cfg.Gate.Rules()
	var names []string
	for _, d := range ds {
		if d == nil {
			continue
		}
		names = append(names, d.Mask...)
		if len(d.Errors) > 0 && rs != nil {
			for _, sp := range rs.Specs() {
				names = append(names, sp.Mask...)
			}
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	slices.Sort(names)
	names = slices.Compact(names)
	eng := s.g.cfg.Masks
	if eng == nil {
		if rs == nil {
			return nil, errors.New("mcp: masking demanded without a rule set")
		}
		eng = rs.Masks()
	}
	p, err := eng.Policy(names)
	if err != nil {
		return nil, fmt.Errorf("mcp: masking policy: %w", err)
	}
	return p, nil
}

// maskInitialize masks the upstream's serverInfo and instructions. They
// describe the whole server, so they get the masks the rules give the
// initialize request req (its action is not enforced: initialize is how a
// session starts) united with those of a generic request of each kind (a
// list, and a call, read and prompt with no name), so that a rule masking
// "every tool call" masks the instructions too.
func (s *session) maskInitialize(ctx context.Context, req *gate.Request, ir *sdk.InitializeResult) (*sdk.Implementation, string, error) {
	rs := s.g.cfg.Gate.Rules()
	ds := []*gate.Decision{rs.Decide(ctx, req), rs.Decide(ctx, listRequest(s.gs, "tools/list", ""))}
	for _, kind := range []string{kindCall, kindPrompt} {
		ds = append(ds, rs.Decide(ctx, probeRequest(s.gs, kind, "")))
	}
	ds = append(ds, rs.Decide(ctx, resourceRequest(s.gs, "")))
	p, err := s.metaPolicy(ds...)
	if err != nil {
		return nil, "", err
	}
	m := &masker{p: p}
	var info *sdk.Implementation
	if ir.ServerInfo != nil {
		if info, err = maskItem(m, ir.ServerInfo); err != nil {
			return nil, "", err
		}
	}
	instr, err := m.text(ir.Instructions)
	if err != nil {
		return nil, "", err
	}
	return info, instr, nil
}

// maskItem masks every string of v, encoded as JSON, and decodes the result
// into a new value of the same type.
func maskItem[T any](m *masker, v T) (T, error) {
	if m.p == nil {
		return v, nil
	}
	var zero T
	raw, err := json.Marshal(v)
	if err != nil {
		return zero, err
	}
	out, f, err := m.p.JSON(raw)
	if err != nil {
		return zero, err
	}
	var res T
	if err := json.Unmarshal(out, &res); err != nil {
		return zero, fmt.Errorf("masked metadata does not decode: %w", err)
	}
	m.findings = mask.MergeFindings(m.findings, f)
	return res, nil
}

// prepareItems turns one page of an upstream list into what the client is
// shown: items the discovery filter hides are dropped, the others are masked
// (withheld when masking fails or would change a name) and entered in the
// session's catalog of advertised names. d is the list's decision.
func prepareItems[T any](ctx context.Context, s *session, d *gate.Decision, method string, items []T, l lister[T]) ([]T, listOutcome, []mask.Finding, error) {
	out := listOutcome{Method: method, Shown: []string{}}
	rs := s.g.cfg.Gate.Rules()
	if rs == nil {
		return nil, out, nil, nil // no rules: nothing is usable, nothing is shown
	}
	idx := s.g.filters.get(rs)
	listPolicy, err := s.metaPolicy(d)
	if err != nil {
		return nil, out, nil, err
	}
	lm := &masker{p: listPolicy}
	kept := make([]T, 0, len(items))
	var findings []mask.Finding
	for _, it := range items {
		if l.kind == kindResource {
			s.catalog.saw(l.key(it))
		}
		hidden, pd := probeDecision(ctx, idx, l.probe(it))
		if hidden && l.hideable {
			noteWithheld(s, l, it)
			label, err := lm.text(l.label(it))
			if err != nil {
				label = "(withheld)"
			}
			out.Hidden = append(out.Hidden, label)
			continue
		}
		p, err := s.metaPolicy(d, pd)
		if err != nil {
			return nil, out, nil, err
		}
		m := &masker{p: p}
		mit, err := maskItem(m, it)
		if err == nil {
			if data, _ := json.Marshal(mit); s.g.holdsSecret(data) {
				err = errItemSecret
				s.recordError(ctx, "mcp: a "+l.kind+" item holds one of the gateway's secrets (Config.Secrets); withheld")
			}
		}
		if err != nil || (l.exact != nil && l.exact(mit) != l.exact(it)) {
			noteWithheld(s, l, it)
			out.Withheld++
			continue
		}
		kept = append(kept, mit)
		out.Shown = append(out.Shown, l.label(mit))
		findings = mask.MergeFindings(findings, m.findings)
		s.catalog.add(l.kind, l.key(it))
		if l.args != nil {
			s.catalog.declare(l.kind, l.key(it), l.args(it))
		}
	}
	findings = mask.MergeFindings(findings, lm.findings)
	return kept, out, findings, nil
}

// cursors hands the client opaque tokens for the upstream's list cursors:
// a cursor is a string of the upstream's choosing, so the client never sees
// it, and a cursor the gateway did not issue is refused.
type cursors struct {
	mu    sync.Mutex
	byTok map[string]string
	order []string
}

// maxCursors bounds the cursors a session remembers; the oldest go first.
const maxCursors = 1024

func (c *cursors) issue(upstream string) string {
	if upstream == "" {
		return ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byTok == nil {
		c.byTok = map[string]string{}
	}
	tok := "airlock-" + gate.NewID()
	c.byTok[tok] = upstream
	c.order = append(c.order, tok)
	if len(c.order) > maxCursors {
		delete(c.byTok, c.order[0])
		c.order = c.order[1:]
	}
	return tok
}

func (c *cursors) resolve(tok string) (string, bool) {
	if tok == "" {
		return "", true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	up, ok := c.byTok[tok]
	return up, ok
}
