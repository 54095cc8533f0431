package mcpgate

import (
	"context"
	"strings"
	"sync/atomic"
	"unicode"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/jsontext"
)

// Rules read arguments by exact key; an upstream written with Go's
// encoding/json matches keys by Unicode simple folding ("ID", "Id" and
// "id" are one field, so are "ſort" and "sort", "Kind" with a Kelvin sign
// and "kind"). A rule on tool.args.id would see no id in {"ID":1} while
// the upstream acts on it. So an argument key (at any depth) that folds
// like another key of its object, or like a word of a rule that reads
// tool arguments, without being spelt like it, is refused before the
// rules as rule "mcp/argument-key". Keys that fold like nothing the rules
// read keep their case (camelCase tools keep working).

// ruleWords are the words of the rules that read tool arguments, by their
// folded form: every name a rule may look up (tool.args.id, "id" in
// tool.args, k == "id") is one of them. Counting every word makes the
// check stricter than the names actually read, never laxer.
type ruleWords map[string][]string

// spelling returns the spelling of a rule word that folds like key but is
// not key, if any.
func (w ruleWords) spelling(key string) (string, bool) {
	spellings, ok := w[jsontext.FoldKey(key)]
	if !ok {
		return "", false
	}
	for _, s := range spellings {
		if s == key {
			return "", false
		}
	}
	return spellings[0], true
}

// wordsOf collects the ruleWords of rs.
func wordsOf(rs *gate.RuleSet) ruleWords {
	w := ruleWords{}
	if rs == nil {
		return w
	}
	for _, info := range rs.Info() {
		if !readsTool(info.Reads) {
			continue
		}
		for _, word := range strings.FieldsFunc(info.Spec.When, func(r rune) bool {
			return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-')
		}) {
			f := jsontext.FoldKey(word)
			if !contains(w[f], word) {
				w[f] = append(w[f], word)
			}
		}
	}
	return w
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// readsTool reports whether a rule reading the variables may read tool
// arguments.
func readsTool(reads []string) bool {
	for _, v := range reads {
		if v == "tool" || strings.HasPrefix(v, "tool.args") {
			return true
		}
	}
	return false
}

// wordCache holds the ruleWords of the rule set in force.
type wordCache struct {
	cur atomic.Pointer[wordsFor]
}

type wordsFor struct {
	rs    *gate.RuleSet
	words ruleWords
}

// get returns the words of rs, computed once per rule set.
func (c *wordCache) get(rs *gate.RuleSet) ruleWords {
	if w := c.cur.Load(); w != nil && w.rs == rs {
		return w.words
	}
	w := &wordsFor{rs: rs, words: wordsOf(rs)}
	c.cur.Store(w)
	return w.words
}

// argumentKeys returns why a key of v (at any depth) could be read by an
// upstream otherwise than by the rules, or "".
func argumentKeys(v any, words ruleWords) string {
	switch x := v.(type) {
	case map[string]any:
		folded := make(map[string]string, len(x))
		for k, e := range x {
			f := jsontext.FoldKey(k)
			if other, dup := folded[f]; dup {
				return "argument keys " + display(other) + " and " + display(k) + " differ only in case"
			}
			folded[f] = k
			if spelled, ok := words.spelling(k); ok {
				return "argument key " + display(k) + " differs only in case from " + display(spelled) + ", which the rules read"
			}
			if why := argumentKeys(e, words); why != "" {
				return why
			}
		}
	case []any:
		for _, e := range x {
			if why := argumentKeys(e, words); why != "" {
				return why
			}
		}
	}
	return ""
}

// refuseArgumentKey refuses a call whose argument keys the upstream could
// read otherwise than the rules (rule "mcp/argument-key").
func (s *session) refuseArgumentKey(ctx context.Context, kind, name, why string) error {
	method := "tools/call "
	if kind == kindPrompt {
		method = "prompts/get "
	}
	reason := why + "; spell each argument key exactly as the tool's rules and schema do"
	req := &gate.Request{Protocol: gate.ProtocolMCP, Command: method + display(name), Tool: &gate.ToolCall{Kind: kind, Name: name}}
	d, _ := s.conn.Refuse(ctx, req, "argument-key", reason)
	return s.failure(ctx, d, "refused", CodeRefused, "airlock: "+strings.TrimSuffix(method, " ")+" "+display(name)+" refused: "+reason)
}
