package mcpgate

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/airlock-sdk/airlock/gate"
)

// lenientUpstream is a real Go SDK server that, like many servers in the
// wild, is forgiving about the names it is called with: it folds case,
// full-width letters and common Cyrillic look-alikes, and drops spaces, NULs
// and zero-width characters before dispatching. It counts what it ran.
type lenientUpstream struct {
	mu  sync.Mutex
	ran map[string]int
}

func (l *lenientUpstream) count(what string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ran[what]
}

var confusables = map[rune]rune{'а': 'a', 'е': 'e', 'о': 'o', 'р': 'p', 'с': 'c', 'у': 'y', 'х': 'x', 'і': 'i', 'ѕ': 's', 'ԁ': 'd', 'ӏ': 'l', 'һ': 'h', 'ԛ': 'q', 'ԝ': 'w'}

// lenient folds a name the way a forgiving server might.
func lenient(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == 0 || r == '\u200b' || r == '\u200c' || r == '\u200d' || r == '\ufeff' || r == '\u00ad' || unicode.Is(unicode.Mn, r):
			continue
		case unicode.IsSpace(r):
			continue
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		}
		if c, ok := confusables[unicode.ToLower(r)]; ok {
			r = c
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

func (l *lenientUpstream) server() *sdk.Server {
	s := sdk.NewServer(&sdk.Implementation{Name: "lenient", Version: "1"}, nil)
	tool := func(name string) {
		s.AddTool(&sdk.Tool{Name: name, InputSchema: map[string]any{"type": "object"}},
			func(context.Context, *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
				l.mu.Lock()
				l.ran[name]++
				l.mu.Unlock()
				return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "ran " + name}}}, nil
			})
	}
	tool("delete_everything")
	tool("read_things")
	prompt := func(name string, args ...string) {
		p := &sdk.Prompt{Name: name}
		for _, a := range args {
			p.Arguments = append(p.Arguments, &sdk.PromptArgument{Name: a})
		}
		s.AddPrompt(p, func(context.Context, *sdk.GetPromptRequest) (*sdk.GetPromptResult, error) {
			l.mu.Lock()
			l.ran[name]++
			l.mu.Unlock()
			return &sdk.GetPromptResult{Messages: []*sdk.PromptMessage{{Role: "user", Content: &sdk.TextContent{Text: "prompt " + name}}}}, nil
		})
	}
	prompt("secret_prompt")
	prompt("summary", "topic", "Password")
	read := func(_ context.Context, r *sdk.ReadResourceRequest) (*sdk.ReadResourceResult, error) {
		l.mu.Lock()
		l.ran["read "+r.Params.URI]++
		l.mu.Unlock()
		return &sdk.ReadResourceResult{Contents: []*sdk.ResourceContents{{URI: r.Params.URI, Text: "contents of " + r.Params.URI}}}, nil
	}
	s.AddResource(&sdk.Resource{URI: "admin://root", Name: "root"}, read)
	s.AddResource(&sdk.Resource{URI: "notes://public", Name: "public"}, read)
	s.AddResourceTemplate(&sdk.ResourceTemplate{URITemplate: "notes://{id}", Name: "note"}, read)
	s.AddResourceTemplate(&sdk.ResourceTemplate{URITemplate: "admin://{name}", Name: "admin"}, read)
	s.AddReceivingMiddleware(func(next sdk.MethodHandler) sdk.MethodHandler {
		return func(ctx context.Context, method string, req sdk.Request) (sdk.Result, error) {
			switch p := req.GetParams().(type) {
			case *sdk.CallToolParamsRaw:
				p.Name = lenient(p.Name)
			case *sdk.GetPromptParams:
				p.Name = lenient(p.Name)
			case *sdk.ReadResourceParams:
				if u, err := url.PathUnescape(p.URI); err == nil {
					p.URI = u
				}
				p.URI = lenient(p.URI)
			}
			return next(ctx, method, req)
		}
	})
	return s
}

// nameRules allow everything but one tool, one prompt and one resource, by
// their exact names: the rules an integrator writes against what the
// upstream advertises.
const nameRules = `
default: allow
rules:
  - name: never-delete-everything
    when: request.protocol == "mcp" && tool.kind == "call" && tool.name == "delete_everything"
    action: deny
  - name: no-secret-prompt
    when: tool.kind == "prompt" && tool.name == "secret_prompt"
    action: deny
  - name: no-admin-resource
    when: tool.kind == "resource" && tool.uri == "admin://root"
    action: deny
`

func newNamesFixture(t *testing.T) (*fixture, *lenientUpstream) {
	t.Helper()
	up := &lenientUpstream{ran: map[string]int{}}
	return newMetadataFixture(t, nameRules, inMemory(up.server)), up
}

// TestMCPCalledNameMustBeExact: case, Unicode and padding variants of an
// advertised name are refused before the rules, so a rule on the exact
// name cannot be walked around through a lenient upstream.
func TestMCPCalledNameMustBeExact(t *testing.T) {
	f, up := newNamesFixture(t)
	cs, cap := f.connectCaptured(t, nil)
	ctx := context.Background()
	// The client never lists: the gateway reads the advertisement itself.
	for _, name := range []string{"Delete_Everything", "DELETE_EVERYTHING", "delete_everything ", " delete_everything",
		"delete_everything\x00", "ｄｅｌｅｔｅ_everything", "dеlete_everything" /* Cyrillic е */, "delete\u200b_everything",
		"delete_everything\t", "delete_everythinǵ"} {
		res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: name, Arguments: map[string]any{}})
		require.Error(t, err, "%q", name)
		assert.Nil(t, res)
		assert.Contains(t, err.Error(), "unknown tool", "%q", name)
	}
	assert.Zero(t, up.count("delete_everything"), "the upstream never ran the tool")
	assert.NotContains(t, cap.bytes(), "ran delete_everything")

	// The exact name is judged by the rules (and hidden by them).
	_, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "delete_everything", Arguments: map[string]any{}})
	require.Error(t, err)
	assert.Zero(t, up.count("delete_everything"))

	// An allowed tool is callable by its exact name only.
	res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "read_things", Arguments: map[string]any{}})
	require.NoError(t, err)
	assert.Equal(t, "ran read_things", text(t, res))
	_, err = cs.CallTool(ctx, &sdk.CallToolParams{Name: "Read_Things", Arguments: map[string]any{}})
	require.Error(t, err)
	assert.Equal(t, 1, up.count("read_things"))

	// Every refusal is a recorded deny decision of the gateway's own check.
	unknown := 0
	for _, e := range f.events(t) {
		if e.Kind == gate.EventDecision && e.Decision.Rule == "mcp/unknown-name" {
			unknown++
			assert.Equal(t, gate.Deny, e.Decision.Action)
		}
	}
	assert.Equal(t, 12, unknown)
	// ... counted in session.denied, as rules see it.
	require.NoError(t, cs.Close())
	end := waitSessionEnd(t, f)
	assert.Equal(t, int64(12), end.Session.Denied)
}

func TestMCPPromptNameMustBeExact(t *testing.T) {
	f, up := newNamesFixture(t)
	cs, _ := f.connectCaptured(t, nil)
	ctx := context.Background()
	for _, name := range []string{"Secret_Prompt", "secret_prompt ", "secret_prompt\x00", "ѕecret_prompt", "ｓecret_prompt"} {
		_, err := cs.GetPrompt(ctx, &sdk.GetPromptParams{Name: name})
		require.Error(t, err, "%q", name)
		assert.Contains(t, err.Error(), "unknown prompt")
	}
	assert.Zero(t, up.count("secret_prompt"))
	res, err := cs.GetPrompt(ctx, &sdk.GetPromptParams{Name: "summary"})
	require.NoError(t, err)
	require.Len(t, res.Messages, 1)
	_, err = cs.GetPrompt(ctx, &sdk.GetPromptParams{Name: "Summary"})
	require.Error(t, err)
	assert.Equal(t, 1, up.count("summary"))
}

// Resource URIs must equal an advertised URI or match an advertised
// template; template matches are then judged by the rules.
func TestMCPResourceURIMustBeAdvertised(t *testing.T) {
	f, up := newNamesFixture(t)
	cs, _ := f.connectCaptured(t, nil)
	ctx := context.Background()
	// admin://root is listed (and hidden by the rules); admin://{name} is a
	// template, so other spellings of admin://root match it.
	for _, uri := range []string{"ADMIN://root", "admin://ROOT", "admin://Root", "admin://rooT", "admin://root ", "admin://root\x00",
		"аdmin://root", "admin://root/", "admin://%72oot", "admin://%72%6F%6F%74", "admin://r%D0%BEot", "admin://r%C3%B6ot",
		"admin://%EF%BD%92oot", "admin://ro%E2%80%8Bot"} {
		_, err := cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: uri})
		require.Error(t, err, "%q", uri)
		assert.Contains(t, err.Error(), "unknown resource", "%q", uri)
	}
	assert.Zero(t, up.count("read admin://root"))
	res, err := cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: "admin://other"})
	require.NoError(t, err, "another resource under the template")
	assert.Equal(t, "contents of admin://other", res.Contents[0].Text)

	res, err = cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: "notes://public"})
	require.NoError(t, err)
	assert.Equal(t, "contents of notes://public", res.Contents[0].Text)
	res, err = cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: "notes://42"})
	require.NoError(t, err, "a URI matching an advertised template")
	assert.Equal(t, "contents of notes://42", res.Contents[0].Text)
	res, err = cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: "notes://a%2Cb"})
	require.NoError(t, err, "a reserved character encoded")
	assert.Equal(t, "contents of notes://a,b", res.Contents[0].Text, "the lenient upstream decodes")
	for _, uri := range []string{"NOTES://42", "notes://42/../../admin", "notes://4 2", "notes://42\x00",
		"notes://%70ublic", "notes://%34%32", "notes://a%2fb", "notes://a%2", "notes://%7E"} {
		_, err := cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: uri})
		require.Error(t, err, "%q", uri)
		assert.Contains(t, err.Error(), "unknown resource", "%q", uri)
	}
}

// A tool the client never saw on the page it fetched is still callable by
// its exact name: the gateway reads every page of the advertisement.
func TestMCPCatalogReadsEveryPage(t *testing.T) {
	pager := func() *sdk.Server {
		s := sdk.NewServer(&sdk.Implementation{Name: "pager", Version: "1"}, &sdk.ServerOptions{PageSize: 1})
		for i := range 4 {
			s.AddTool(&sdk.Tool{Name: fmt.Sprintf("t%d", i), InputSchema: map[string]any{"type": "object"}},
				func(context.Context, *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
					return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: fmt.Sprint("ran t", i)}}}, nil
				})
		}
		return s
	}
	f := newMetadataFixture(t, metadataRules, inMemory(pager))
	cs, _ := f.connectCaptured(t, nil)
	first, err := cs.ListTools(context.Background(), nil)
	require.NoError(t, err)
	require.Equal(t, []string{"t0"}, names(first.Tools))
	res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "t3"})
	require.NoError(t, err)
	assert.Equal(t, "ran t3", text(t, res))
	_, err = cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "t4"})
	require.Error(t, err)
}

// variant returns a spelling of name that differs from it, as an attacker
// would try: case flips, full-width and Cyrillic look-alikes, padding,
// NULs, zero-width and combining characters.
func variant(rng *rand.Rand, name string) string {
	rs := []rune(name)
	var latinToCyr = map[rune]rune{}
	for c, l := range confusables {
		latinToCyr[l] = c
	}
	for {
		out := append([]rune(nil), rs...)
		for range 1 + rng.IntN(3) {
			i := rng.IntN(len(out))
			switch rng.IntN(10) {
			case 0:
				if unicode.IsLower(out[i]) {
					out[i] = unicode.ToUpper(out[i])
				} else {
					out[i] = unicode.ToLower(out[i])
				}
			case 1:
				if out[i] >= 0x21 && out[i] <= 0x7E {
					out[i] += 0xFEE0
				}
			case 2:
				if c, ok := latinToCyr[out[i]]; ok {
					out[i] = c
				}
			case 3:
				out = append(out, []rune{' ', '\t', '\u00a0', '\u3000', '\n'}[rng.IntN(5)])
			case 4:
				out = append([]rune{[]rune{' ', '\t', '\u00a0'}[rng.IntN(3)]}, out...)
			case 5:
				out = append(out[:i], append([]rune{0}, out[i:]...)...)
			case 6:
				out = append(out[:i], append([]rune{[]rune{'\u200b', '\u200c', '\u200d', '\ufeff', '\u00ad'}[rng.IntN(5)]}, out[i:]...)...)
			case 7:
				out = append(out[:i+1], append([]rune{'\u0301'}, out[i+1:]...)...)
			case 8:
				out = []rune(strings.ToUpper(string(out)))
			case 9:
				if out[i] < utf8.RuneSelf {
					enc := fmt.Sprintf([]string{"%%%02X", "%%%02x"}[rng.IntN(2)], out[i])
					out = append(out[:i], append([]rune(enc), out[i+1:]...)...)
				}
			}
		}
		if s := string(out); s != name {
			return s
		}
	}
}

// TestMCPNameVariantsGenerator: random variants of advertised names (those
// the rules deny and those they allow) are never callable, and the lenient
// upstream never runs anything for them.
func TestMCPNameVariantsGenerator(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 16))
	f, up := newNamesFixture(t)
	cs, _ := f.connectCaptured(t, nil)
	ctx := context.Background()
	for i := range 300 {
		switch i % 3 {
		case 0:
			name := []string{"delete_everything", "read_things"}[rng.IntN(2)]
			v := variant(rng, name)
			res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: v, Arguments: map[string]any{}})
			if err == nil {
				t.Fatalf("tool variant %q of %q was called: %v", v, name, text(t, res))
			}
		case 1:
			name := []string{"secret_prompt", "summary"}[rng.IntN(2)]
			v := variant(rng, name)
			if _, err := cs.GetPrompt(ctx, &sdk.GetPromptParams{Name: v}); err == nil {
				t.Fatalf("prompt variant %q of %q was served", v, name)
			}
		case 2:
			// Variants of notes:// URIs may match the notes://{id} template,
			// which the upstream serves as it likes; admin://root's may not.
			v := variant(rng, "admin://root")
			if _, err := cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: v}); err == nil {
				t.Fatalf("resource variant %q of admin://root was read", v)
			}
		}
	}
	up.mu.Lock()
	defer up.mu.Unlock()
	assert.Empty(t, up.ran, "the upstream ran nothing for a variant")
}

// A stream of unknown names does not become a stream of upstream lists.
func TestMCPUnknownNamesDoNotFloodUpstream(t *testing.T) {
	var lists atomic.Int64
	up := &lenientUpstream{ran: map[string]int{}}
	f := newMetadataFixture(t, nameRules, inMemory(func() *sdk.Server {
		s := up.server()
		s.AddReceivingMiddleware(func(next sdk.MethodHandler) sdk.MethodHandler {
			return func(ctx context.Context, method string, req sdk.Request) (sdk.Result, error) {
				if method == "tools/list" {
					lists.Add(1)
				}
				return next(ctx, method, req)
			}
		})
		return s
	}))
	cs, _ := f.connectCaptured(t, nil)
	for i := range 50 {
		_, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: fmt.Sprintf("nope_%d", i)})
		require.Error(t, err)
	}
	assert.LessOrEqual(t, lists.Load(), int64(2))
	res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "read_things"})
	require.NoError(t, err, "advertised names stay callable")
	assert.Equal(t, "ran read_things", text(t, res))
}

// An upstream that lists another spelling of a tool the rules hide
// ("Delete_Everything" beside "delete_everything") may run the same tool
// for both: the other spelling is refused too, even when it is on a page
// the client fetched before the hidden one.
func TestMCPAdvertisedSpellingOfHiddenTool(t *testing.T) {
	var ran atomic.Int64
	newServer := func() *sdk.Server {
		s := sdk.NewServer(&sdk.Implementation{Name: "aliases", Version: "1"}, &sdk.ServerOptions{PageSize: 1})
		for _, name := range []string{"delete_everything", "Delete_Everything", "read_things"} {
			s.AddTool(&sdk.Tool{Name: name, InputSchema: map[string]any{"type": "object"}},
				func(context.Context, *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
					if strings.EqualFold(name, "delete_everything") {
						ran.Add(1)
					}
					return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "ran " + name}}}, nil
				})
		}
		return s
	}
	f := newMetadataFixture(t, nameRules, inMemory(newServer))
	cs, _ := f.connectCaptured(t, nil)
	ctx := context.Background()
	first, err := cs.ListTools(ctx, nil)
	require.NoError(t, err)
	require.Equal(t, []string{"Delete_Everything"}, names(first.Tools), "the alias comes first, the hidden tool on a later page")
	_, err = cs.CallTool(ctx, &sdk.CallToolParams{Name: "Delete_Everything"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "unknown tool")
	assert.Zero(t, ran.Load())
	res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "read_things"})
	require.NoError(t, err)
	assert.Equal(t, "ran read_things", text(t, res))
}
