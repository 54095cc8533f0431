package tool

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/jsontext"
)

// Rules read arguments by exact key; a tool written with Go's
// encoding/json matches keys by Unicode simple folding ("ID", "Id" and
// "id" are one field, so are "ſort" and "sort", "Kind" with a Kelvin sign
// and "kind"), and takes the last of two. A rule on tool.args.id would see
// no id in {"ID":1} while the tool acts on it. So an argument key (at any
// depth) that folds like another key of its object, or like a word of a
// rule that reads tool arguments, without being spelt like it, is refused
// before the rules. Keys that fold like nothing the rules read keep their
// case (camelCase tools keep working).

// RuleWords are the words of the rules that read tool arguments, by their
// folded form: every name a rule may look up (tool.args.id, "id" in
// tool.args, k == "id") is one of them. Counting every word makes the
// check stricter than the names actually read, never laxer.
type RuleWords map[string][]string

// spelling returns the spelling of a rule word that folds like key but is
// not key, if any.
func (w RuleWords) spelling(key string) (string, bool) {
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

// WordsOf collects the RuleWords of rs.
func WordsOf(rs *gate.RuleSet) RuleWords {
	w := RuleWords{}
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

// WordCache holds the RuleWords of the rule set in force; its zero value
// is ready to use.
type WordCache struct {
	cur atomic.Pointer[wordsFor]
}

type wordsFor struct {
	rs    *gate.RuleSet
	words RuleWords
}

// Get returns the words of rs, computed once per rule set.
func (c *WordCache) Get(rs *gate.RuleSet) RuleWords {
	if w := c.cur.Load(); w != nil && w.rs == rs {
		return w.words
	}
	w := &wordsFor{rs: rs, words: WordsOf(rs)}
	c.cur.Store(w)
	return w.words
}

// ArgumentKeys returns why a key of v (decoded JSON, at any depth) could
// be read by a tool otherwise than by the rules, or "": keys that fold
// alike, keys that fold like a rule word without its spelling, and keys
// JavaScript reads as prototypes (prototypeKey). quote shows a key in the
// reason.
func ArgumentKeys(v any, words RuleWords, quote func(string) string) string {
	switch x := v.(type) {
	case map[string]any:
		folded := make(map[string]string, len(x))
		for k, e := range x {
			f := jsontext.FoldKey(k)
			if other, dup := folded[f]; dup {
				return "argument keys " + quote(other) + " and " + quote(k) + " differ only in case"
			}
			folded[f] = k
			if why := prototypeKey(k, e, quote); why != "" {
				return why
			}
			if spelled, ok := words.spelling(k); ok {
				return "argument key " + quote(k) + " differs only in case from " + quote(spelled) + ", which the rules read"
			}
			if why := ArgumentKeys(e, words, quote); why != "" {
				return why
			}
		}
	case []any:
		for _, e := range x {
			if why := ArgumentKeys(e, words, quote); why != "" {
				return why
			}
		}
	}
	return ""
}

// prototypeKey returns why the key k with the value v is read by
// JavaScript tools as a prototype, or "": Object.assign, spreads into
// merges and deep-merge helpers make a "__proto__" member the prototype
// of the copy (whose keys then read as the copy's own, unseen by the
// rules), and a "constructor" object with a "prototype" member that of
// every object.
func prototypeKey(k string, v any, quote func(string) string) string {
	if k == "__proto__" {
		return "argument key " + quote(k) + " is read by JavaScript tools as the object's prototype"
	}
	if c, ok := v.(map[string]any); ok && k == "constructor" {
		if _, ok := c["prototype"]; ok {
			return "argument key " + quote("constructor.prototype") + " is read by JavaScript tools that merge the arguments as the prototype of every object"
		}
	}
	return ""
}

// repeatedKey returns why the JSON document raw holds an object with a
// key repeated, or "". Decoding keeps the last of them (the rules see
// it); a tool that reads the raw JSON of an argument (a json.RawMessage)
// with a first-match reader would act on the first. A document that does
// not parse is reported too.
func repeatedKey(raw []byte) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	why, err := walkKeys(dec)
	if err != nil {
		return "the arguments do not parse: " + err.Error()
	}
	return why
}

func walkKeys(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return "", nil
	}
	switch d {
	case '{':
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return "", err
			}
			k, _ := kt.(string)
			if seen[k] {
				return "argument key " + strconv.Quote(k) + " is repeated", nil
			}
			seen[k] = true
			if why, err := walkKeys(dec); why != "" || err != nil {
				return why, err
			}
		}
	case '[':
		for dec.More() {
			if why, err := walkKeys(dec); why != "" || err != nil {
				return why, err
			}
		}
	}
	_, err = dec.Token() // the closing delimiter
	return "", err
}
