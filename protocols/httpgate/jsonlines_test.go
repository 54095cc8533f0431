package httpgate

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
)

// jsonLineTypes are the streaming JSON formats a token stream is served
// as (Ollama's NDJSON, JSON Lines, RFC 7464 sequences, ...).
var jsonLineTypes = []string{
	"application/x-ndjson", "application/ndjson", "application/jsonl", "application/json-seq",
	"application/stream+json", "application/x-json-stream", "application/json", arrayOfDeltas,
}

// arrayOfDeltas stands for a streamed application/json array of deltas
// (Gemini's streamGenerateContent).
const arrayOfDeltas = "array"

// tokenLine is one line of a token stream carrying tok, in the shape of a
// random LLM API.
func tokenLine(r *rand.Rand, shape int, tok string, done bool) map[string]any {
	switch shape {
	case 0:
		return map[string]any{"message": map[string]any{"role": "assistant", "content": tok}, "done": done}
	case 1:
		return map[string]any{"response": tok, "done": done}
	}
	return map[string]any{"choices": []any{map[string]any{"delta": map[string]any{"content": tok}, "index": 0}}}
}

// TestJSONLineStreamsGenerated: a card or e-mail address cut into the
// tokens of a line-delimited JSON stream, sent in random chunks, never
// reaches a client that concatenates the tokens of a field, and every
// line the client gets still parses.
func TestJSONLineStreamsGenerated(t *testing.T) {
	e := newEnvWith(t, 0, piiRules, nil, nil)
	r := rand.New(rand.NewPCG(11, 4))
	var body []byte
	var ct string
	srv := proxyTo(t, e, Credential{}, func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", ct)
		writeChunked(w, rand.New(rand.NewPCG(uint64(len(body)), 1)), body)
	})
	for i := range genN(300) {
		fx := splitValues[r.IntN(len(splitValues))]
		ct = jsonLineTypes[r.IntN(len(jsonLineTypes))]
		shape := r.IntN(3)
		text := "the value is " + fx.v + ", noted"
		var b strings.Builder
		toks := splitRandomly(r, text, 2+r.IntN(6))
		for k, tok := range append(toks, "") {
			line, _ := json.Marshal(tokenLine(r, shape, tok, k == len(toks)))
			if ct == "application/json-seq" {
				b.WriteByte(0x1e)
			}
			b.Write(line)
			b.WriteByte('\n')
		}
		body = []byte(b.String())
		array := ct == arrayOfDeltas
		if array {
			ct = "application/json"
			body = []byte("[" + strings.ReplaceAll(strings.TrimSpace(b.String()), "\n", ",\n") + "]")
		}
		got := readAll(t, e.do(srv, "POST", "/api/chat", "application/json", `{"stream":true}`))
		fields := map[string]*strings.Builder{}
		lines := strings.Split(strings.TrimSpace(got), "\n")
		if array {
			var elems []json.RawMessage
			if err := json.Unmarshal([]byte(got), &elems); err != nil {
				t.Fatalf("case %d: %q does not parse: %v", i, got, err)
			}
			lines = lines[:0]
			for _, el := range elems {
				lines = append(lines, string(el))
			}
		}
		for _, line := range lines {
			var v any
			if err := json.Unmarshal([]byte(strings.TrimLeft(line, "\x1e")), &v); err != nil {
				t.Fatalf("case %d (%s): line %q of %q does not parse: %v", i, ct, line, got, err)
			}
			collectStrings(v, "", fields)
		}
		for path, s := range fields {
			if strings.Contains(strings.ReplaceAll(s.String(), " ", ""), fx.find) {
				t.Fatalf("case %d (%s): the client assembles %q at %s from %q", i, ct, s.String(), path, got)
			}
		}
	}
}

// collectStrings appends every string of v to the builder of its path.
func collectStrings(v any, path string, into map[string]*strings.Builder) {
	switch x := v.(type) {
	case string:
		if into[path] == nil {
			into[path] = &strings.Builder{}
		}
		into[path].WriteString(x)
	case map[string]any:
		for k, e := range x {
			collectStrings(e, path+"/"+k, into)
		}
	case []any:
		for i, e := range x {
			collectStrings(e, fmt.Sprint(path, "/", i), into)
		}
	}
}
