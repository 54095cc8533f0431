package mcpgate

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeArgs(t *testing.T) {
	cases := []struct {
		in, canon string
		err       bool
	}{
		{``, `{}`, false},
		{`null`, `{}`, false},
		{`{"id":1}`, `{"id":1}`, false},
		{`{"id":2,"id":1}`, `{"id":1}`, false},
		{`{ "b" : 1.5, "a" : [1, "x", null] }`, `{"a":[1,"x",null],"b":1.5}`, false},
		{`{"n":12345678901234567890}`, `{"n":12345678901234567000}`, false},
		{`{"n":1e400}`, ``, true},
		{`[1]`, ``, true},
		{`"s"`, ``, true},
		{`{"a":1} {"b":2}`, ``, true},
		{`{"a":`, ``, true},
	}
	for _, c := range cases {
		args, canon, err := decodeArgs([]byte(c.in))
		if c.err {
			assert.Error(t, err, c.in)
			continue
		}
		require.NoError(t, err, c.in)
		assert.NotNil(t, args)
		assert.Equal(t, c.canon, string(canon), c.in)
	}
	args, _, err := decodeArgs([]byte(`{"id":3}`))
	require.NoError(t, err)
	assert.Equal(t, int64(3), args["id"], "integers reach CEL as int")
}

// FuzzDecodeArgs: arguments come straight from the agent. Decoding never
// panics, accepts only objects, and its canonical form is a fixed point, so
// what the upstream receives is exactly what the rules judged.
func FuzzDecodeArgs(f *testing.F) {
	for _, s := range []string{``, `{}`, `{"id":1}`, `{"a":{"b":[1,2,{"c":null}]}}`, `{"x":1e308}`, `{"id":2,"id":1}`, `[`, `"\u0000"`, `{"\ud800":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		args, canon, err := decodeArgs(raw)
		if err != nil {
			return
		}
		if args == nil {
			t.Fatal("nil args without error")
		}
		_, again, err := decodeArgs(canon)
		if err != nil {
			t.Fatalf("canonical form does not decode: %q: %v", canon, err)
		}
		if !bytes.Equal(canon, again) {
			t.Fatalf("canonical form is not stable: %q -> %q", canon, again)
		}
	})
}

func TestCommandQuotesOddNames(t *testing.T) {
	req := probeRequest(nil, kindCall, "read {\"id\":1}\nok")
	assert.Equal(t, `tools/call "read {\"id\":1}\nok" {}`, req.Command)
	assert.Equal(t, "read {\"id\":1}\nok", req.Tool.Name, "rules see the name as sent")
	assert.Equal(t, "resources/read customers://1", resourceRequest(nil, "customers://1").Command)
}
