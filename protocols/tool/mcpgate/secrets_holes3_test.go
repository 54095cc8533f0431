package mcpgate

import (
	"bytes"
	"compress/flate"
	"compress/lzw"
	"compress/zlib"
	"context"
	"encoding/ascii85"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
)

// A packing of this round's families: the packed data, and the stream in
// it that a client decodes (the carrier).
type carried struct {
	data, carrier []byte
}

// holePackings are raw deflate and zlib of a window other than 32 KiB
// after a header of an odd length, and a PDF whose stream is under LZW
// (EarlyChange 0), ASCII85, ASCIIHex or a chain of them.
func holePackings(r *rand.Rand) map[string]func(string) carried {
	head := func() []byte {
		b := []byte("export v2 rows follow\n")
		for len(b) < 20+r.IntN(900) {
			b = append(b, byte(r.IntN(256)))
		}
		return b
	}
	pdf := func(filter string, stream []byte) []byte {
		return fmt.Appendf(nil, "%%PDF-1.4\n4 0 obj\n<< /Length %d /Filter %s >>\nstream\n%s\nendstream\nendobj\n%%%%EOF\n", len(stream), filter, stream)
	}
	lzwOf := func(b []byte) []byte {
		var buf bytes.Buffer
		w := lzw.NewWriter(&buf, lzw.MSB, 8)
		w.Write(b)
		w.Close()
		return buf.Bytes()
	}
	a85 := func(b []byte) []byte {
		out := make([]byte, ascii85.MaxEncodedLen(len(b)))
		return append(out[:ascii85.Encode(out, b)], "~>"...)
	}
	m := map[string]func(string) carried{}
	for _, level := range []int{1, 9, flate.HuffmanOnly} {
		m[fmt.Sprintf("raw deflate %d after a header", level)] = func(s string) carried {
			var b bytes.Buffer
			w, _ := flate.NewWriter(&b, level)
			w.Write([]byte(s))
			w.Close()
			return carried{append(head(), b.Bytes()...), b.Bytes()}
		}
	}
	for cinfo := range 7 {
		m[fmt.Sprintf("zlib CINFO %d after a header", cinfo)] = func(s string) carried {
			var b bytes.Buffer
			w := zlib.NewWriter(&b)
			w.Write([]byte(s))
			w.Close()
			z := b.Bytes()
			z[0] = byte(cinfo<<4 | 8)
			z[1] = byte((31 - (uint(z[0])<<8)%31) % 31)
			return carried{append(head(), z...), z}
		}
	}
	for name, enc := range map[string]struct {
		filter string
		f      func([]byte) []byte
	}{
		"LZW":             {"/LZWDecode /DecodeParms << /EarlyChange 0 >>", lzwOf},
		"ASCII85":         {"/ASCII85Decode", a85},
		"ASCIIHex":        {"/AHx", func(b []byte) []byte { return append([]byte(hex.EncodeToString(b)), '>') }},
		"ASCII85 of LZW":  {"[/A85 /LZW] /DecodeParms [null << /EarlyChange 0 >>]", func(b []byte) []byte { return a85(lzwOf(b)) }},
		"ASCIIHex of LZW": {"[/AHx /LZW] /DecodeParms [null << /EarlyChange 0 >>]", func(b []byte) []byte { return append([]byte(hex.EncodeToString(lzwOf(b))), '>') }},
	} {
		m["PDF "+name] = func(s string) carried {
			st := enc.f([]byte("BT (" + s + ") Tj ET"))
			return carried{pdf(enc.filter, st), st}
		}
	}
	return m
}

// TestGatewaySecretsHolePackings: under rules that mask nothing, a server
// hands the gateway's credential back in every holePackings form, in an
// image's data, a blob, base64 text and structured content, through the
// MCP Go SDK: no answer may carry the packed stream.
func TestGatewaySecretsHolePackings(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	packs := holePackings(r)
	env := "HOME=/srv\nUPSTREAM_TOKEN=" + upstreamSecret + "\nPATH=/usr/bin:/bin\n"
	server := func() *sdk.Server {
		s := sdk.NewServer(&sdk.Implementation{Name: "holes", Version: "1"}, nil)
		s.AddTool(&sdk.Tool{Name: "file", InputSchema: map[string]any{"type": "object"}}, func(_ context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			var a map[string]string
			_ = json.Unmarshal(req.Params.Arguments, &a)
			d := packs[a["packer"]](env).data
			var c sdk.Content
			switch a["as"] {
			case "image":
				c = &sdk.ImageContent{Data: d, MIMEType: "image/png"}
			case "blob":
				c = &sdk.EmbeddedResource{Resource: &sdk.ResourceContents{URI: "file://env", MIMEType: "application/pdf", Blob: d}}
			case "base64 text":
				c = &sdk.TextContent{Text: "file: " + base64.StdEncoding.EncodeToString(d)}
			case "structured":
				return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "see structured"}},
					StructuredContent: map[string]any{"file": base64.RawURLEncoding.EncodeToString(d)}}, nil
			}
			return &sdk.CallToolResult{Content: []sdk.Content{c}}, nil
		})
		return s
	}
	rs, err := gate.ParseRules("open.yaml", []byte("default: allow\nrules: []\n"))
	require.NoError(t, err)
	f := &fixture{rec: &record.Memory{}, appr: &approval.Memory{}}
	f.gate = gate.New(gate.Config{Rules: rs, Recorder: f.rec, Approver: f.appr})
	f.gw, err = New(Config{Gate: f.gate, Upstream: inMemory(server), Target: "holes", Authenticator: testAuth(), Secrets: []string{upstreamSecret}})
	require.NoError(t, err)
	cs, captured := f.connectCaptured(t, nil)
	ctx := context.Background()
	probes, leaks := 0, 0
	for name, pack := range packs {
		carrier := pack(env).carrier
		for _, as := range []string{"image", "blob", "base64 text", "structured"} {
			before := len(captured.bytes())
			_, _ = cs.CallTool(ctx, &sdk.CallToolParams{Name: "file", Arguments: map[string]any{"packer": name, "as": as}})
			probes++
			if got := unpackedFrom(captured.bytes()[before:]); bytes.Contains([]byte(got), carrier) || bytes.Contains([]byte(got), []byte(upstreamSecret)) {
				leaks++
				t.Errorf("%s as %s: the credential reached the client", name, as)
			}
		}
	}
	t.Logf("%d of %d answers carried the credential packed", leaks, probes)
}
