package mcpgate

import (
	"context"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"
)

const uriReadingRules = `
default: allow
rules:
  - name: no-secret-file
    when: tool.kind == "resource" && tool.uri == "files:///data/secret"
    action: deny
  - name: no-cafe-file
    when: tool.kind == "resource" && tool.uri == "files:///data/caf%C3%A9"
    action: deny
  - name: mask-cards-file
    when: tool.kind == "resource" && tool.uri == "files:///data/cards.csv"
    mask: [credit_card]
`

// foldingFileServer serves files:///data/{name} as a file server on a
// case-insensitive file system that drops trailing dots (Windows) and
// matches names in any Unicode normalisation (macOS) does, once it has
// unescaped the name.
func foldingFileServer(secretServed *atomic.Int64) func() *sdk.Server {
	return func() *sdk.Server {
		s := sdk.NewServer(&sdk.Implementation{Name: "files", Version: "1"}, nil)
		s.AddResourceTemplate(&sdk.ResourceTemplate{URITemplate: "files:///data/{name}", Name: "data"},
			func(_ context.Context, req *sdk.ReadResourceRequest) (*sdk.ReadResourceResult, error) {
				name, err := url.PathUnescape(strings.TrimPrefix(req.Params.URI, "files:///data/"))
				if err != nil {
					return nil, err
				}
				name = strings.TrimRight(strings.ToLower(norm.NFC.String(name)), ".")
				text := "public " + name
				switch name {
				case "secret", "caf\u00e9":
					secretServed.Add(1)
					text = "root secret"
				case "cards.csv":
					text = "ann,4111 1111 1111 1111"
				}
				return &sdk.ReadResourceResult{Contents: []*sdk.ResourceContents{{URI: req.Params.URI, Text: text}}}, nil
			})
		return s
	}
}

// respell returns a random spelling of name that foldingFileServer
// serves as name: letters in random case, trailing dots.
func respell(r *rand.Rand, name string) string {
	var b strings.Builder
	for _, c := range name {
		if r.IntN(2) == 0 {
			b.WriteString(strings.ToUpper(string(c)))
		} else {
			b.WriteRune(c)
		}
	}
	return b.String() + strings.Repeat(".", r.IntN(3))
}

// TestMCPTemplateReadReadingsNeverServeAGuardedFile: a rule denies one
// file read through a template and another masks one; reads of random
// case and trailing-dot spellings, which a folding file server serves as
// those files, must never serve the denied file nor the unmasked card.
// Other files, in any spelling, are still read.
func TestMCPTemplateReadReadingsNeverServeAGuardedFile(t *testing.T) {
	var served atomic.Int64
	f := newMetadataFixture(t, uriReadingRules, inMemory(foldingFileServer(&served)))
	cs, _ := f.connectCaptured(t, nil)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(3, 11))
	for range 60 {
		uri := "files:///data/" + respell(r, "secret")
		_, _ = cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: uri})
		require.Zero(t, served.Load(), "the denied file was served as %s", uri)
		uri = "files:///data/" + pick(r, []string{"cafe%CC%81", "CAF%C3%89", "CAFE%CC%81", "Cafe%CC%81.", "caf%C3%A9."})
		_, _ = cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: uri})
		require.Zero(t, served.Load(), "the denied file was served as %s", uri)
		uri = "files:///data/" + respell(r, "cards.csv")
		if res, err := cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: uri}); err == nil {
			require.NotContains(t, res.Contents[0].Text, "4111 1111 1111 1111", "the card was served unmasked as %s", uri)
		}
		uri = "files:///data/" + respell(r, "readme")
		res, err := cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: uri})
		require.NoError(t, err, uri)
		require.Equal(t, "public readme", res.Contents[0].Text)
	}
}

func pick[T any](r *rand.Rand, list []T) T { return list[r.IntN(len(list))] }

func TestURIReadings(t *testing.T) {
	require.ElementsMatch(t, []string{"files:///data/secret.", "files:///data/Secret", "files:///data/secret"}, uriReadings("files:///data/Secret."))
	require.Equal(t, []string{"files:///data/secret"}, uriReadings("files:///data/SECRET"))
	require.Empty(t, uriReadings("files:///data/secret"))
	require.Equal(t, []string{"db://x/t?q=a."}, uriReadings("db://x/t?q=A."))
	require.Contains(t, uriReadings("files:///data/cafe%CC%81"), "files:///data/caf%C3%A9")
	require.Contains(t, uriReadings("files:///data/CAF%C3%89"), "files:///data/caf%C3%A9")
	require.Contains(t, uriReadings("files:///data/caf\u00e9"), "files:///data/caf%C3%A9")
}
