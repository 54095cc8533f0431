package mcpgate

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMCPAdvertisedSpellingOfHiddenResource: an upstream lists both
// "admin://root" (which the rules deny, so the client is not shown it) and
// "admin://Root", and serves the same resource for both. Reading the
// listed alias is refused like the hidden URI itself; a resource that
// shadows nothing is still read.
func TestMCPAdvertisedSpellingOfHiddenResource(t *testing.T) {
	var served atomic.Int64
	newServer := func() *sdk.Server {
		s := sdk.NewServer(&sdk.Implementation{Name: "aliases", Version: "1"}, nil)
		read := func(_ context.Context, req *sdk.ReadResourceRequest) (*sdk.ReadResourceResult, error) {
			text := "public"
			if strings.EqualFold(req.Params.URI, "admin://root") {
				served.Add(1)
				text = "root secret"
			}
			return &sdk.ReadResourceResult{Contents: []*sdk.ResourceContents{{URI: req.Params.URI, Text: text}}}, nil
		}
		for _, uri := range []string{"admin://root", "admin://Root", "docs://readme"} {
			s.AddResource(&sdk.Resource{URI: uri, Name: uri}, read)
		}
		return s
	}
	f := newMetadataFixture(t, nameRules, inMemory(newServer))
	cs, _ := f.connectCaptured(t, nil)
	ctx := context.Background()
	listed, err := cs.ListResources(ctx, nil)
	require.NoError(t, err)
	var uris []string
	for _, r := range listed.Resources {
		uris = append(uris, r.URI)
	}
	require.Contains(t, uris, "admin://Root", "the alias is listed")
	require.NotContains(t, uris, "admin://root", "the denied resource is hidden")
	for _, uri := range []string{"admin://Root", "admin://ROOT", "admin://root"} {
		_, err := cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: uri})
		assert.Error(t, err, uri)
	}
	assert.Zero(t, served.Load(), "the hidden resource was served under another spelling")
	res, err := cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: "docs://readme"})
	require.NoError(t, err)
	assert.Equal(t, "public", res.Contents[0].Text)
}

// TestMCPHiddenResourceOnUnlistedPage: the hidden "admin://root" is on a
// page of the upstream's resource list the client never asked for; the
// alias "admin://Root", shown on the first page, is still refused, because
// the gateway reads every page before judging the first resources/read.
func TestMCPHiddenResourceOnUnlistedPage(t *testing.T) {
	var served atomic.Int64
	newServer := func() *sdk.Server {
		s := sdk.NewServer(&sdk.Implementation{Name: "paged", Version: "1"}, &sdk.ServerOptions{PageSize: 1})
		read := func(_ context.Context, req *sdk.ReadResourceRequest) (*sdk.ReadResourceResult, error) {
			if strings.EqualFold(req.Params.URI, "admin://root") {
				served.Add(1)
			}
			return &sdk.ReadResourceResult{Contents: []*sdk.ResourceContents{{URI: req.Params.URI, Text: "x"}}}, nil
		}
		for _, uri := range []string{"admin://Root", "admin://root", "docs://readme"} {
			s.AddResource(&sdk.Resource{URI: uri, Name: uri}, read)
		}
		return s
	}
	f := newMetadataFixture(t, nameRules, inMemory(newServer))
	cs, _ := f.connectCaptured(t, nil)
	ctx := context.Background()
	page, err := cs.ListResources(ctx, nil)
	require.NoError(t, err)
	require.Len(t, page.Resources, 1)
	require.Equal(t, "admin://Root", page.Resources[0].URI, "the alias is on the first page")
	_, err = cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: "admin://Root"})
	assert.Error(t, err)
	assert.Zero(t, served.Load(), "the hidden resource was served through an alias listed before it")
	_, err = cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: "docs://readme"})
	require.NoError(t, err, "a resource that shadows nothing is read")
}
