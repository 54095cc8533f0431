package tool_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/protocols/tool"
	"github.com/airlock-sdk/airlock/record"
)

// searchArgs holds part of its arguments as raw JSON, which the tool
// decodes itself, as tools that take free-form filters do.
type searchArgs struct {
	Filter json.RawMessage `json:"filter"`
	Opts   map[string]any  `json:"opts,omitempty"`
}

type searchFilter struct {
	Kind string `json:"kind"`
}

// foldSpellings are spellings of kind that encoding/json matches to a
// field tagged "kind": by ASCII case and by Unicode simple folding (the
// Kelvin sign is k).
var foldSpellings = []string{"KIND", "Kind", "kInD", "\u212aind", "\u212aIND"}

// TestWrappedToolActsOnlyOnWhatTheRulesSaw: a rule allows the search tool
// only for filter.kind "read"; the tool decodes its raw filter with
// encoding/json. Arguments with a second spelling of kind (folding alike,
// in either order, in the raw filter or a map) or with kind repeated must
// never make the tool run with another kind: they are refused before the
// rules and recorded as tool/argument-key.
func TestWrappedToolActsOnlyOnWhatTheRulesSaw(t *testing.T) {
	rs, err := gate.ParseRules("rules.yaml", []byte(`
default: deny
rules:
  - name: read-only-search
    when: tool.name == "search" && tool.args.filter.kind == "read" && (!has(tool.args.opts) || !("kind" in tool.args.opts) || tool.args.opts.kind == "read")
    action: allow
`))
	if err != nil {
		t.Fatal(err)
	}
	rec := &record.Memory{}
	g := gate.New(gate.Config{Rules: rs, Approver: &approval.Memory{}, Recorder: rec})
	conn, err := g.Open(context.Background(), gate.Session{Protocol: gate.ProtocolTool, Target: "search", Identity: gate.Identity{Subject: "agent-1", Kind: gate.KindAgent}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := conn.Context(context.Background())
	var ran []string
	search := tool.Wrap("search", func(ctx context.Context, a searchArgs) (string, error) {
		var f searchFilter
		if err := json.Unmarshal(a.Filter, &f); err != nil {
			return "", err
		}
		var o searchFilter
		b, _ := json.Marshal(a.Opts)
		_ = json.Unmarshal(b, &o)
		ran = append(ran, f.Kind+"/"+o.Kind)
		return "ok", nil
	})

	var attacks []searchArgs
	for _, k := range foldSpellings {
		attacks = append(attacks,
			searchArgs{Filter: json.RawMessage(fmt.Sprintf(`{"kind":"read",%q:"delete"}`, k))},
			searchArgs{Filter: json.RawMessage(fmt.Sprintf(`{%q:"delete","kind":"read"}`, k))},
			searchArgs{Filter: json.RawMessage(`{"kind":"read"}`), Opts: map[string]any{"kind": "read", k: "delete"}},
		)
	}
	attacks = append(attacks,
		searchArgs{Filter: json.RawMessage(`{"kind":"delete","kind":"read"}`)},
		searchArgs{Filter: json.RawMessage(`{"x":{"a":1,"a":2},"kind":"read"}`)},
		searchArgs{Filter: json.RawMessage(`{"kind":"read","sub":[{"Kind":"delete"}]}`)},
	)
	for _, a := range attacks {
		_, err := search(ctx, a)
		var refused *gate.RefusedError
		if !errors.As(err, &refused) {
			t.Errorf("filter %s opts %v: not refused (%v)", a.Filter, a.Opts, err)
			continue
		}
		if refused.Decision.Rule != "tool/argument-key" {
			t.Errorf("filter %s opts %v: refused by %s, want tool/argument-key", a.Filter, a.Opts, refused.Decision.Rule)
		}
	}
	for _, r := range ran {
		t.Errorf("the tool ran with %s", r)
	}
	// A call the rules see whole still runs.
	ran = nil
	if _, err := search(ctx, searchArgs{Filter: json.RawMessage(`{"kind":"read","Other":1,"other2":2}`)}); err != nil || len(ran) != 1 || !strings.HasPrefix(ran[0], "read/") {
		t.Fatalf("plain call: %v, ran %v", err, ran)
	}
}
