package mcpgate

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"regexp"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"
)

// packings are the packed files an export tool sends: gzip, zlib, zip,
// raw deflate (which has no signature).
var packings = map[string]func(string) []byte{
	"deflate": func(s string) []byte {
		var b bytes.Buffer
		w, _ := flate.NewWriter(&b, flate.BestCompression)
		io.WriteString(w, s)
		w.Close()
		return b.Bytes()
	},
	"gzip": func(s string) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		io.WriteString(w, s)
		w.Close()
		return b.Bytes()
	},
	"zlib": func(s string) []byte {
		var b bytes.Buffer
		w := zlib.NewWriter(&b)
		io.WriteString(w, s)
		w.Close()
		return b.Bytes()
	},
	"zip": func(s string) []byte {
		var b bytes.Buffer
		z := zip.NewWriter(&b)
		w, _ := z.Create("export.csv")
		io.WriteString(w, s)
		z.Close()
		return b.Bytes()
	},
}

// unpack returns what a client unpacks from data: a gzip, zlib or zip
// file's content, or raw deflate's (what could be read of it).
func unpack(data []byte) string {
	var out []byte
	if b, _ := io.ReadAll(flate.NewReader(bytes.NewReader(data))); len(b) > 0 {
		out = append(out, b...)
	}
	if r, err := gzip.NewReader(bytes.NewReader(data)); err == nil {
		b, _ := io.ReadAll(r)
		out = append(out, b...)
	}
	if r, err := zlib.NewReader(bytes.NewReader(data)); err == nil {
		b, _ := io.ReadAll(r)
		out = append(out, b...)
	}
	if z, err := zip.NewReader(bytes.NewReader(data), int64(len(data))); err == nil {
		for _, f := range z.File {
			if r, err := f.Open(); err == nil {
				b, _ := io.ReadAll(r)
				out = append(out, b...)
			}
		}
	}
	return string(out)
}

var encodedRun = regexp.MustCompile(`[A-Za-z0-9+/_=-]{16,}`)

// unpacksPII reports whether an encoded run of s unpacks to the card or
// the e-mail address the mask hides.
func unpacksPII(s string) bool {
	// A string of characters up to U+00FF, encoded as ISO 8859-1.
	if u := unpackedFrom(s); strings.Contains(u, piiCard) || strings.Contains(u, piiEmail) {
		return true
	}
	for _, run := range encodedRun.FindAllString(s, -1) {
		for _, r := range append([]string{run}, strings.Split(run, "/")...) {
			var decoded [][]byte
			for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
				if d, err := enc.DecodeString(r); err == nil {
					decoded = append(decoded, d)
				}
			}
			if d, err := hex.DecodeString(r); err == nil {
				decoded = append(decoded, d)
			}
			for _, d := range decoded {
				if u := unpack(d); strings.Contains(u, piiCard) || strings.Contains(u, piiEmail) {
					return true
				}
			}
		}
	}
	return false
}

// exportServer's export tool returns the file named by its arguments,
// packed and encoded, in the shape asked: a text block, structured
// content, an embedded resource's text; its resource and prompt do too.
func exportServer() *sdk.Server {
	s := sdk.NewServer(&sdk.Implementation{Name: "exports", Version: "1"}, nil)
	file := func(packing, encoding string) string {
		pack, ok := packings[packing]
		if !ok {
			return "no file; the card on record is " + piiCard
		}
		data := pack("name,card,email\nada," + piiCard + "," + piiEmail + "\n")
		switch encoding {
		case "latin-1":
			return latin1String(data)
		case "hex":
			return hex.EncodeToString(data)
		case "base64url":
			return base64.RawURLEncoding.EncodeToString(data)
		}
		return base64.StdEncoding.EncodeToString(data)
	}
	s.AddTool(&sdk.Tool{Name: "export", InputSchema: map[string]any{"type": "object", "properties": map[string]any{
		"packing": map[string]any{"type": "string"}, "encoding": map[string]any{"type": "string"}, "shape": map[string]any{"type": "string"}}}},
		func(_ context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			var a map[string]string
			_ = json.Unmarshal(req.Params.Arguments, &a)
			f := file(a["packing"], a["encoding"])
			switch a["shape"] {
			case "structured":
				return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "see structured content"}},
					StructuredContent: map[string]any{"file": f, "name": "export.csv.gz"}}, nil
			case "resource":
				return &sdk.CallToolResult{Content: []sdk.Content{&sdk.EmbeddedResource{Resource: &sdk.ResourceContents{URI: "exports://1", MIMEType: "text/plain", Text: f}}}}, nil
			case "data-uri":
				return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "data:application/zip;base64," + f}}}, nil
			}
			return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "export: " + f}}}, nil
		})
	s.AddResource(&sdk.Resource{URI: "exports://latest", Name: "latest"}, func(context.Context, *sdk.ReadResourceRequest) (*sdk.ReadResourceResult, error) {
		return &sdk.ReadResourceResult{Contents: []*sdk.ResourceContents{{URI: "exports://latest", Text: file("gzip", "base64")}}}, nil
	})
	s.AddPrompt(&sdk.Prompt{Name: "attach"}, func(context.Context, *sdk.GetPromptRequest) (*sdk.GetPromptResult, error) {
		return &sdk.GetPromptResult{Messages: []*sdk.PromptMessage{{Role: "user", Content: &sdk.TextContent{Text: "file " + file("zip", "base64")}}}}, nil
	})
	return s
}

// TestEncodedPackedResultsWithheldUnderMask calls, reads and gets results
// that carry a card and an e-mail address inside a gzip, zlib or zip file
// encoded in base64, base64url or hex (a text block, structured content,
// an embedded resource, a data: URI, a resource, a prompt): under a mask
// none reaches the client in a form that unpacks to them.
func TestEncodedPackedResultsWithheldUnderMask(t *testing.T) {
	f := newMetadataFixture(t, metadataRules, inMemory(exportServer))
	cs, _ := f.connectCaptured(t, nil)
	ctx := context.Background()
	total, through := 0, 0
	judge := func(what string, v any, err error) {
		total++
		b, _ := json.Marshal(v)
		if err != nil {
			b = append(b, err.Error()...)
		}
		if unpacksPII(string(b)) {
			through++
			t.Errorf("%s reached the client unpackable: %.200s", what, b)
		}
	}
	for packing := range packings {
		for _, encoding := range []string{"base64", "base64url", "hex", "latin-1"} {
			for _, shape := range []string{"text", "structured", "resource", "data-uri"} {
				args, _ := json.Marshal(map[string]string{"packing": packing, "encoding": encoding, "shape": shape})
				res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "export", Arguments: json.RawMessage(args)})
				judge(packing+" "+encoding+" "+shape, res, err)
			}
		}
	}
	rr, err := cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: "exports://latest"})
	judge("resource", rr, err)
	pr, err := cs.GetPrompt(ctx, &sdk.GetPromptParams{Name: "attach"})
	judge("prompt", pr, err)
	t.Logf("%d of %d results reached the client unpackable", through, total)
	// Plain results still pass.
	res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "export", Arguments: json.RawMessage(`{"packing":"none"}`)})
	require.NoError(t, err)
	require.False(t, res.IsError, text(t, res))
	require.Equal(t, "export: no file; the card on record is [CREDIT_CARD]", text(t, res))
}
