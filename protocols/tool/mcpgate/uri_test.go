package mcpgate

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const fileRules = `
default: allow
rules:
  - name: no-shadow
    when: tool.kind == "resource" && tool.uri == "files:///etc/shadow"
    action: deny
`

// fileServer serves files:// URIs from root the way a file server would:
// it unescapes the path, takes backslashes for slashes, cleans it and
// opens it under root, and counts what it serves of /etc/shadow.
func fileServer(root string, shadowServed *atomic.Int64) func() *sdk.Server {
	return func() *sdk.Server {
		s := sdk.NewServer(&sdk.Implementation{Name: "files", Version: "1"}, nil)
		read := func(_ context.Context, req *sdk.ReadResourceRequest) (*sdk.ReadResourceResult, error) {
			uri := req.Params.URI
			i := strings.Index(uri, "://")
			if i < 0 {
				return nil, fmt.Errorf("bad uri")
			}
			p := uri[i+3:]
			if j := strings.IndexByte(p, '/'); j >= 0 {
				p = p[j:] // the host is ignored
			}
			if u, err := url.PathUnescape(p); err == nil {
				p = u
			}
			p = filepath.Clean("/" + strings.ReplaceAll(p, `\`, "/"))
			b, err := os.ReadFile(filepath.Join(root, p))
			if err != nil {
				return nil, sdk.ResourceNotFoundError(uri)
			}
			if p == "/etc/shadow" {
				shadowServed.Add(1)
			}
			return &sdk.ReadResourceResult{Contents: []*sdk.ResourceContents{{URI: uri, Text: string(b)}}}, nil
		}
		s.AddResource(&sdk.Resource{URI: "files:///etc/shadow", Name: "shadow"}, read)
		s.AddResource(&sdk.Resource{URI: "files:///etc/motd", Name: "motd"}, read)
		s.AddResourceTemplate(&sdk.ResourceTemplate{URITemplate: "files://{+path}", Name: "file"}, read)
		return s
	}
}

// spellShadow is a random spelling of files:///etc/shadow that a file
// server takes for the same file.
func spellShadow(r *rand.Rand) string {
	segs := []string{"etc", "shadow"}
	var path strings.Builder
	for _, seg := range segs {
		for n := r.IntN(3); n > 0; n-- {
			switch r.IntN(4) {
			case 0:
				path.WriteString("/.")
			case 1:
				path.WriteString("/x/..")
			case 2:
				path.WriteString("/")
			default:
				path.WriteString("/%2e%2E/etc/..")
			}
		}
		path.WriteString([]string{"/", "/", "//", `\`, "%2F", "%5C"}[r.IntN(6)])
		for _, c := range []byte(seg) {
			switch r.IntN(6) {
			case 0:
				fmt.Fprintf(&path, "%%%02X", c)
			case 1:
				fmt.Fprintf(&path, "%%%02x", c)
			default:
				path.WriteByte(c)
			}
		}
	}
	if r.IntN(5) == 0 {
		path.WriteString("/")
	}
	scheme := "files"
	if r.IntN(4) == 0 {
		scheme = "FiLeS"
	}
	host := []string{"", "", "localhost", "LOCALHOST", "localhost."}[r.IntN(5)]
	return scheme + "://" + host + path.String()
}

// TestMCPResourceURISpellingsCannotReadDeniedFile: no spelling of a
// denied file (dot segments, empty segments, percent-escapes of letters,
// dots and slashes, backslashes, scheme and host case, trailing dots and
// slashes) is served by an upstream that cleans paths like a file server;
// the canonical spelling of an allowed file still is.
func TestMCPResourceURISpellingsCannotReadDeniedFile(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "etc"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc", "shadow"), []byte("root:hash"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc", "motd"), []byte("hello"), 0o600))
	var served atomic.Int64
	f := newMetadataFixture(t, fileRules, inMemory(fileServer(root, &served)))
	cs, _ := f.connectCaptured(t, nil)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(3, 4))
	var refused int
	for range 400 {
		uri := spellShadow(r)
		res, err := cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: uri})
		if err != nil {
			refused++
			continue
		}
		for _, c := range res.Contents {
			assert.NotContains(t, c.Text, "root:hash", uri)
		}
	}
	assert.Zero(t, served.Load(), "the denied file was served under another spelling")
	assert.Positive(t, refused)
	res, err := cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: "files:///etc/motd"})
	require.NoError(t, err)
	assert.Equal(t, "hello", res.Contents[0].Text)
}

// TestURISpelling: canonical spellings pass; every other spelling names
// why it is refused.
func TestURISpelling(t *testing.T) {
	for _, ok := range []string{"files:///etc/shadow", "notes://a%2Cb", "admin://root", "urn:isbn:123", "https://example.org/a/b?x=1", "files:///", "mem://h:80/a"} {
		assert.Empty(t, uriSpelling(ok), ok)
	}
	for _, bad := range []string{"files:///etc/../etc/shadow", "files:///etc/./shadow", "files:///etc//shadow", "files:///etc/%2e%2e/etc/shadow",
		"files:///etc%2Fshadow", `files:///etc\shadow`, "FILES:///etc/shadow", "files://HOST/etc/shadow", "files://host./etc/shadow",
		"files:///etc/%73hadow", "files:///etc/shadow/", "files:///etc/shadow#x", "files:///etc/%2c", "files:///etc/%2", "files:///etc/sh adow", "noscheme"} {
		assert.NotEmpty(t, uriSpelling(bad), bad)
	}
}
