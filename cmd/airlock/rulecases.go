package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/airlock-sdk/airlock/analysis/pgsql"
	"github.com/airlock-sdk/airlock/analysis/shell"
	"github.com/airlock-sdk/airlock/gate"
	httpgate "github.com/airlock-sdk/airlock/protocols/httpgate"
)

// unparsableRule names the pre-rule refusal of a command the gateway could
// not parse, in rule-test output.
const unparsableRule = "(refused before the rules: unparsable)"

// decideCases decides each case as the gateway would: the command is first
// turned into the request the protocol package builds from it, then judged.
// Cases whose command the gateway would refuse before the rules get a deny
// decision with that reason.
func decideCases(ctx context.Context, rs *gate.RuleSet, cases []gate.RuleCase) []gate.CaseResult {
	results := make([]gate.CaseResult, len(cases))
	var runnable []gate.RuleCase
	var at []int
	for i, c := range cases {
		if err := completeRequest(&c.Request); err != nil {
			d := &gate.Decision{Action: gate.Deny, Rule: unparsableRule, Reason: err.Error()}
			r := gate.CaseResult{Case: c, Decision: d}
			if c.Expect.Action != gate.Deny {
				r.Failures = append(r.Failures, fmt.Sprintf("action: got deny (%s), want %s", err, c.Expect.Action))
			}
			results[i] = r
			continue
		}
		runnable = append(runnable, c)
		at = append(at, i)
	}
	for j, r := range rs.RunCases(ctx, runnable) {
		results[at[j]] = r
	}
	return results
}

// completeRequest fills the protocol attributes a case left out from its
// command, with the parser the gateway uses for that protocol. Attributes
// written in the case win.
func completeRequest(r *gate.Request) error {
	if r.Command == "" {
		return nil
	}
	switch r.Protocol {
	case gate.ProtocolPostgres:
		if r.SQL != nil {
			return nil
		}
		cl, err := pgsql.ParserClassifier{}.Classify(r.Command)
		if err != nil {
			return fmt.Errorf("the SQL does not parse: %w", err)
		}
		r.SQL = &gate.SQL{Statements: make([]gate.SQLStatement, len(cl.Statements))}
		for i, st := range cl.Statements {
			r.SQL.Statements[i] = st.SQLStatement
		}
		r.Secrets = secretsOf(cl)
	case gate.ProtocolSSH:
		if r.SSH != nil {
			return nil
		}
		s, err := shell.Parse(r.Command)
		if err != nil {
			return err
		}
		r.SSH = s
	case gate.ProtocolHTTP:
		if r.HTTP != nil {
			return nil
		}
		h, err := httpRequestLine(r.Command)
		if err != nil {
			return err
		}
		r.HTTP = h
	}
	return nil
}

func secretsOf(cl *pgsql.Classification) []string {
	var out []string
	for _, st := range cl.Statements {
		out = append(out, st.Secrets...)
	}
	return out
}

// httpRequestLine turns "METHOD /path?query" into the request model, with
// the path normalised as the gateway normalises it.
func httpRequestLine(line string) (*gate.HTTP, error) {
	method, target, ok := strings.Cut(strings.TrimSpace(line), " ")
	if !ok || method == "" || !strings.HasPrefix(target, "/") {
		return nil, fmt.Errorf("an HTTP command is \"METHOD /path?query\", not %q", line)
	}
	target = strings.TrimSpace(target)
	rawPath, rawQuery, _ := strings.Cut(target, "?")
	p, err := httpgate.NormalizePath(rawPath)
	if err != nil {
		return nil, err
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, fmt.Errorf("query %q: %w", rawQuery, err)
	}
	h := &gate.HTTP{Method: strings.ToUpper(method), Path: p}
	if len(q) > 0 {
		h.Query = q
	}
	return h, nil
}
