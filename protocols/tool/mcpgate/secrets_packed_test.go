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
	"fmt"
	"io"
	"regexp"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
)

// packedEchoServer answers tool "file" with the credential packed by
// args.packer (packings), carried as args.as: an image's or audio's data, an
// embedded resource's blob, the base64 or hex of it in text or in
// structured content; and resource file://env with it as a blob.
func packedEchoServer() *sdk.Server {
	s := sdk.NewServer(&sdk.Implementation{Name: "packed", Version: "1"}, nil)
	env := []byte("HOME=/srv\nUPSTREAM_TOKEN=" + upstreamSecret + "\nPATH=/usr/bin:/bin\n")
	s.AddTool(&sdk.Tool{Name: "file", InputSchema: map[string]any{"type": "object"}}, func(_ context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
		var a map[string]string
		_ = json.Unmarshal(req.Params.Arguments, &a)
		d := packings[a["packer"]](string(env))
		var c sdk.Content
		switch a["as"] {
		case "image":
			c = &sdk.ImageContent{Data: d, MIMEType: "image/png"}
		case "audio":
			c = &sdk.AudioContent{Data: d, MIMEType: "audio/wav"}
		case "blob":
			c = &sdk.EmbeddedResource{Resource: &sdk.ResourceContents{URI: "file://env", MIMEType: "application/octet-stream", Blob: d}}
		case "base64 text":
			c = &sdk.TextContent{Text: "file: " + base64.StdEncoding.EncodeToString(d)}
		case "hex text":
			c = &sdk.TextContent{Text: "dump " + hex.EncodeToString(d)}
		case "structured":
			return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "see structured"}},
				StructuredContent: map[string]any{"file": base64.RawURLEncoding.EncodeToString(d)}}, nil
		case "latin-1 text":
			c = &sdk.TextContent{Text: "file: " + latin1String(d)}
		case "latin-1 structured":
			return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "see structured"}},
				StructuredContent: map[string]any{"file": latin1String(d)}}, nil
		}
		return &sdk.CallToolResult{Content: []sdk.Content{c}}, nil
	})
	s.AddResource(&sdk.Resource{URI: "file://env", Name: "env"}, func(context.Context, *sdk.ReadResourceRequest) (*sdk.ReadResourceResult, error) {
		return &sdk.ReadResourceResult{Contents: []*sdk.ResourceContents{{URI: "file://env", MIMEType: "application/gzip", Blob: packings["gzip"](string(env))}}}, nil
	})
	return s
}

var base64Run = regexp.MustCompile(`[A-Za-z0-9+/_-]{16,}={0,2}`)

var jsonString = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// latin1String is b as the characters of its bytes' values.
func latin1String(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// unpackedFrom is what a client reads out of the messages it received:
// every base64 or hex run decoded, every JSON string encoded as ISO
// 8859-1, and what that unpacks to.
func unpackedFrom(seen string) string {
	var out bytes.Buffer
	out.WriteString(seen)
	var latins [][]byte
	for _, lit := range jsonString.FindAllString(seen, -1) {
		var s string
		if json.Unmarshal([]byte(lit), &s) != nil {
			continue
		}
		var b []byte
		for _, r := range s {
			b = append(b, byte(r))
		}
		latins = append(latins, b)
	}
	for _, run := range base64Run.FindAllString(seen, -1) {
		var decs [][]byte
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if d, err := enc.DecodeString(run); err == nil {
				decs = append(decs, d)
			}
		}
		if d, err := hex.DecodeString(run); err == nil {
			decs = append(decs, d)
		}
		latins = append(latins, decs...)
	}
	for _, d := range latins {
		out.Write(d)
		for i := range d {
			// A stream may follow other bytes ("file: " then gzip).
			if i > 0 && d[i] != 0x1f && d[i] != 0x78 {
				continue
			}
			for _, open := range []func(io.Reader) (io.Reader, error){
				func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) },
				func(r io.Reader) (io.Reader, error) { return zlib.NewReader(r) },
				func(r io.Reader) (io.Reader, error) { return flate.NewReader(r), nil },
			} {
				if r, err := open(bytes.NewReader(d[i:])); err == nil {
					b, _ := io.ReadAll(r)
					out.Write(b)
				}
			}
		}
		if z, err := zip.NewReader(bytes.NewReader(d), int64(len(d))); err == nil {
			for _, f := range z.File {
				if r, err := f.Open(); err == nil {
					b, _ := io.ReadAll(r)
					out.Write(b)
				}
			}
		}
	}
	return out.String()
}

// TestGatewaySecretsPackedNeverReachTheClient: under rules that mask
// nothing, a server hands the gateway's credential back packed (gzip,
// zlib, raw deflate, zip) in every carrier of a result (image and audio
// data, an embedded resource's blob, base64 or hex text, structured
// content) and as a resource's blob: the client must not read it by
// unpacking what it received.
func TestGatewaySecretsPackedNeverReachTheClient(t *testing.T) {
	rs, err := gate.ParseRules("open.yaml", []byte("default: allow\nrules: []\n"))
	require.NoError(t, err)
	f := &fixture{rec: &record.Memory{}, appr: &approval.Memory{}}
	f.gate = gate.New(gate.Config{Rules: rs, Recorder: f.rec, Approver: f.appr})
	f.gw, err = New(Config{Gate: f.gate, Upstream: inMemory(packedEchoServer), Target: "packed", Authenticator: testAuth(), Secrets: []string{upstreamSecret}})
	require.NoError(t, err)
	cs, captured := f.connectCaptured(t, nil)
	ctx := context.Background()
	probes, leaks := 0, 0
	for packer := range packings {
		for _, as := range []string{"image", "audio", "blob", "base64 text", "hex text", "structured", "latin-1 text", "latin-1 structured"} {
			before := len(captured.bytes())
			_, _ = cs.CallTool(ctx, &sdk.CallToolParams{Name: "file", Arguments: map[string]any{"packer": packer, "as": as}})
			probes++
			if got := captured.bytes()[before:]; bytes.Contains([]byte(unpackedFrom(got)), []byte(upstreamSecret)) {
				leaks++
				t.Logf("%s as %s: the credential reached the client", packer, as)
			}
		}
	}
	before := len(captured.bytes())
	_, _ = cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: "file://env"})
	probes++
	if got := captured.bytes()[before:]; bytes.Contains([]byte(unpackedFrom(got)), []byte(upstreamSecret)) {
		leaks++
		t.Logf("a resource's gzip blob: the credential reached the client")
	}
	t.Logf("%d of %d answers carried the credential packed", leaks, probes)
	if leaks > 0 {
		t.Errorf("%s", fmt.Sprintf("%d of %d answers carried the gateway's credential packed", leaks, probes))
	}
}
