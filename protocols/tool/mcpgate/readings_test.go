package mcpgate

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"context"
	"encoding/ascii85"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"
)

// readingCase is a tool result's text that carries a value a decoding
// client reads, and the bytes that carry it (found in what the client
// received when it got through).
type readingCase struct {
	name          string
	text, carrier string
}

// luhn returns a 16-digit card number with a valid check digit.
func luhn(r *rand.Rand) string {
	d := []byte("4")
	for len(d) < 15 {
		d = append(d, byte('0'+r.IntN(10)))
	}
	sum := 0
	for i := range 15 {
		v := int(d[14-i] - '0')
		if i%2 == 0 {
			if v *= 2; v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return string(append(d, byte('0'+(10-sum%10)%10)))
}

// base85Of encodes b in ASCII85, in <~ ~>, Z85 or RFC 1924's alphabet.
func base85Of(b []byte, kind int) string {
	if kind < 2 {
		a := make([]byte, ascii85.MaxEncodedLen(len(b)))
		a = a[:ascii85.Encode(a, b)]
		if kind == 1 {
			return "<~" + string(a) + "~>"
		}
		return string(a)
	}
	alpha := "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"
	if kind == 3 {
		alpha = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~"
	}
	pad := append(bytes.Clone(b), make([]byte, (4-len(b)%4)%4)...)
	var out []byte
	for i := 0; i < len(pad); i += 4 {
		v := binary.BigEndian.Uint32(pad[i:])
		var g [5]byte
		for k := 4; k >= 0; k-- {
			g[k] = alpha[v%85]
			v /= 85
		}
		out = append(out, g[:]...)
	}
	return string(out)
}

// readingCases is the family of tool-result texts whose value only a
// decoding client reads: a card, an e-mail address as text, zlib or raw
// deflate in base85 (each alphabet), after a prefix of 0 to 200
// characters of the run's alphabet glued to it; and a card glued to
// protobuf framing (a printable field's tag, a length of '0' to '9',
// the next field's tag '2').
func readingCases(r *rand.Rand, n int) []readingCase {
	var cases []readingCase
	for k := range n {
		if k%4 == 3 {
			card := luhn(r)
			l := 48 + r.IntN(10)
			fill := strings.Repeat("w", l-len(card)-1)
			var field string
			if r.IntN(2) == 0 {
				field = "R" + string(rune(l)) + card + " " + fill
			} else {
				field = "R" + string(rune(l)) + fill + " " + card
			}
			text := "rec " + field + "2!" + strings.Repeat("q", 33)
			cases = append(cases, readingCase{"protobuf field " + strconv.Quote(field[:2]), text, field})
			continue
		}
		v := luhn(r)
		if r.IntN(3) == 0 {
			v = fmt.Sprintf("bo%d@example.com", r.IntN(1000))
		}
		plain := []byte("name " + v + " status ok")
		kind := "text"
		switch k % 3 {
		case 1:
			var b bytes.Buffer
			w := zlib.NewWriter(&b)
			w.Write(plain)
			w.Close()
			plain, kind = b.Bytes(), "zlib"
		case 2:
			var b bytes.Buffer
			w, _ := flate.NewWriter(&b, 1+r.IntN(9))
			w.Write(plain)
			w.Close()
			plain, kind = b.Bytes(), "raw deflate"
		}
		e := r.IntN(4)
		enc := base85Of(plain, e)
		alpha := "abcdefghijklmnopqrstu0123456789"
		var pre []byte
		for range []int{0, 1 + r.IntN(20), 20 + r.IntN(180)}[r.IntN(3)] {
			pre = append(pre, alpha[r.IntN(len(alpha))])
		}
		cases = append(cases, readingCase{fmt.Sprintf("base85 (%d) of %s after %d characters", e, kind, len(pre)), "blob " + string(pre) + enc, enc})
	}
	return cases
}

// readingsServer's tool returns case i of cases in the shape asked: a
// text block, structured content, an embedded resource's text.
func readingsServer(cases []readingCase) func() *sdk.Server {
	return func() *sdk.Server {
		s := sdk.NewServer(&sdk.Implementation{Name: "blobs", Version: "1"}, nil)
		s.AddTool(&sdk.Tool{Name: "blob", InputSchema: map[string]any{"type": "object", "properties": map[string]any{
			"i": map[string]any{"type": "integer"}, "shape": map[string]any{"type": "string"}}}},
			func(_ context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
				var a struct {
					I     int
					Shape string
				}
				_ = json.Unmarshal(req.Params.Arguments, &a)
				t := cases[a.I].text
				switch a.Shape {
				case "structured":
					return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "see structured content"}},
						StructuredContent: map[string]any{"rows": []any{map[string]any{"id": 1, "blob": t}}}}, nil
				case "resource":
					return &sdk.CallToolResult{Content: []sdk.Content{&sdk.EmbeddedResource{Resource: &sdk.ResourceContents{URI: "blobs://1", MIMEType: "text/plain", Text: t}}}}, nil
				}
				return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: t}}}, nil
			})
		return s
	}
}

// TestDecodedReadingsUnderMask: under a mask, no tool result (a text
// block, structured content, an embedded resource) reaches the client
// with a value in base85 (plain or compressed, after any prefix) or
// glued to protobuf framing; plain results still pass.
func TestDecodedReadingsUnderMask(t *testing.T) {
	cases := readingCases(rand.New(rand.NewPCG(61, 62)), 80)
	f := newMetadataFixture(t, metadataRules, inMemory(readingsServer(cases)))
	cs, _ := f.connectCaptured(t, nil)
	ctx := context.Background()
	total, through := 0, 0
	for i, c := range cases {
		for _, shape := range []string{"text", "structured", "resource"} {
			args, _ := json.Marshal(map[string]any{"i": i, "shape": shape})
			res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "blob", Arguments: json.RawMessage(args)})
			total++
			var got string
			if err == nil {
				b, _ := json.Marshal(res)
				var back any
				_ = json.Unmarshal(b, &back)
				got = fmt.Sprint(back)
			}
			if strings.Contains(got, c.carrier) {
				through++
				t.Errorf("%s as %s reached the client: %.160s", c.name, shape, got)
			}
		}
	}
	t.Logf("%d of %d results reached the client with the value", through, total)
}

// TestDecodedReadingsBenign: results with ordinary text, identifiers,
// tokens and JSON pass under a mask as they were.
func TestDecodedReadingsBenign(t *testing.T) {
	r := rand.New(rand.NewPCG(71, 72))
	var cases []readingCase
	for k := range 60 {
		var b strings.Builder
		switch k % 4 {
		case 0:
			for range 20 {
				fmt.Fprintf(&b, "%s ", []string{"order", "shipped", "to", "customer", "id", "status:", "ok", "total", "EUR"}[r.IntN(9)])
			}
		case 1:
			for range 3 {
				fmt.Fprintf(&b, "req_%016x-%08X/%d;", r.Uint64(), r.Uint32(), r.IntN(1e6))
			}
		case 2:
			fmt.Fprintf(&b, `{"id":%d,"name":"item%d","price":%d.%02d,"tags":["a%d","b%d"],"sku":"SKU-%06d"}`, r.IntN(1e5), r.IntN(100), r.IntN(100), r.IntN(100), r.IntN(9), r.IntN(9), r.IntN(1e6))
		default:
			const a = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			for range 40 + r.IntN(80) {
				b.WriteByte(a[r.IntN(len(a))])
			}
		}
		cases = append(cases, readingCase{name: fmt.Sprint(k), text: b.String()})
	}
	f := newMetadataFixture(t, metadataRules, inMemory(readingsServer(cases)))
	cs, _ := f.connectCaptured(t, nil)
	changed := 0
	for i, c := range cases {
		args, _ := json.Marshal(map[string]any{"i": i})
		res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "blob", Arguments: json.RawMessage(args)})
		if err != nil || res.IsError || text(t, res) != c.text {
			changed++
			t.Errorf("benign %q changed: %v", c.text, err)
		}
	}
	t.Logf("%d of %d benign results changed", changed, len(cases))
	require.Zero(t, changed)
}
