package mcpgate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/stretchr/testify/assert"
)

func TestCheckFrame(t *testing.T) {
	cases := []struct {
		in     string
		reject bool
		code   int
	}{
		{`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, false, 0},
		{`{"jsonrpc":"2.0","id":"a","result":{}}`, false, 0},
		{`{"jsonrpc":"2.0","method":"notifications/initialized"}`, false, 0},
		{`{not json`, true, -32700},
		{`[1,2]`, true, -32600},
		{`42`, true, -32600},
		{`{"jsonrpc":"1.0","id":1,"method":"ping"}`, true, -32600},
		{`{"jsonrpc":"2.0","id":{"x":1},"method":"ping"}`, true, -32600},
		{`{"jsonrpc":"2.0","id":1,"method":"evil/method"}`, true, -32601},
		{`{"jsonrpc":"2.0","method":"notifications/evil"}`, true, 0},
		{``, true, 0},
	}
	for _, c := range cases {
		reject, reply := checkFrame([]byte(c.in))
		assert.Equal(t, c.reject, reject, c.in)
		if c.code == 0 {
			assert.Empty(t, reply, c.in)
			continue
		}
		var m struct {
			Error jsonrpc.Error `json:"error"`
		}
		assert.NoError(t, json.Unmarshal(reply, &m), c.in)
		assert.EqualValues(t, c.code, m.Error.Code, c.in)
	}
}

func TestFrameReader(t *testing.T) {
	in := strings.Join([]string{
		`{"jsonrpc":"2.0","id":1,"method":"ping"}`,
		`garbage`,
		`   `,
		`{"jsonrpc":"2.0","id":2,"method":"nope"}`,
		`{"jsonrpc":"2.0","id":3,"method":"ping"}`,
	}, "\n")
	var replies bytes.Buffer
	fr := &frameReader{src: strings.NewReader(in), r: bufioReader(in), w: &replies}
	got, err := io.ReadAll(fr)
	assert.NoError(t, err)
	assert.Equal(t, `{"jsonrpc":"2.0","id":1,"method":"ping"}`+"\n"+`{"jsonrpc":"2.0","id":3,"method":"ping"}`+"\n", string(got))
	assert.Contains(t, replies.String(), `"code":-32700`)
	assert.Contains(t, replies.String(), `"id":2,"error":{"code":-32601`)
}

// FuzzCheckFrame: frames come straight from the agent. The checker never
// panics, everything it lets through is a JSON-RPC message of a known
// method (or a response), and everything it answers gets a valid JSON-RPC
// error response.
func FuzzCheckFrame(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}`,
		`{"jsonrpc":"2.0","id":"x","result":null}`, `{"jsonrpc":"2.0","method":"bad"}`,
		`{`, `[]`, `null`, `{"jsonrpc":"2.0","id":1.5,"method":"ping"}`, `{"jsonrpc":"2.0","id":null,"method":"x"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		reject, reply := checkFrame(frame)
		if !reject {
			msg, err := jsonrpc.DecodeMessage(bytes.TrimSpace(frame))
			if err != nil {
				t.Fatalf("accepted an undecodable frame %q: %v", frame, err)
			}
			if r, ok := msg.(*jsonrpc.Request); ok && !knownMethods[r.Method] {
				t.Fatalf("accepted unknown method %q", r.Method)
			}
			return
		}
		if len(reply) == 0 {
			return
		}
		var m struct {
			JSONRPC string          `json:"jsonrpc"`
			ID      json.RawMessage `json:"id"`
			Error   *jsonrpc.Error  `json:"error"`
		}
		if err := json.Unmarshal(reply, &m); err != nil || m.JSONRPC != "2.0" || m.Error == nil || len(m.ID) == 0 {
			t.Fatalf("bad error reply %q for %q", reply, frame)
		}
	})
}

func bufioReader(s string) *bufio.Reader { return bufio.NewReader(strings.NewReader(s)) }
