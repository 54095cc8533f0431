package httpgate

import (
	"bytes"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/mask"
)

func sseMask(t *testing.T, names []string, chunks ...string) string {
	t.Helper()
	eng, err := mask.New(mask.Config{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := eng.Policy(names)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	m := &sseMasker{p: p, max: 1 << 20}
	m.start(&out)
	for _, c := range chunks {
		if _, err := m.Write([]byte(c)); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestSSEFieldsJoinedAcrossEvents: a token stream's deltas are followed
// per field; the completing delta is redacted, the rest of the event kept
// exactly (numbers included).
func TestSSEFieldsJoinedAcrossEvents(t *testing.T) {
	out := sseMask(t, []string{"email"},
		`data: {"id":12345678901234567890,"delta":{"content":"write to ann@"}}`+"\n\n",
		`data: {"id":12345678901234567891,"delta":{"content":"example.com now"}}`+"\n\n",
		`data: {"id":3,"delta":{"content":"bye"}}`+"\n\n")
	if strings.Contains(out, "example.com") {
		t.Errorf("the address was completed: %s", out)
	}
	if !strings.Contains(out, "12345678901234567891") || !strings.Contains(out, `"bye"`) {
		t.Errorf("other values changed: %s", out)
	}
}

// TestSSEDataAssembledLikeAClient: data fields without a space, a lone
// "data" line, CR and CRLF line ends, a BOM and comments.
func TestSSEDataAssembledLikeAClient(t *testing.T) {
	for _, in := range []string{
		"data:4111 1111\ndata:1111 1111\n\n",
		"\xef\xbb\xbfdata: 4111 1111\rdata: 1111 1111\r\r",
		"data: 4111 1111\r\ndata\r\ndata: 1111 1111\r\n\r\n",
		": note\ndata: 4111 1111\n: more\ndata: 1111 1111\n\n",
		"data: 4\ndata: 111 1111 1111 1111\n\n",
	} {
		out := sseMask(t, []string{"credit_card"}, in)
		if strings.Contains(strings.NewReplacer(" ", "", "\n", "", "\r", "", "data:", "").Replace(out), "4111111111111111") {
			t.Errorf("%q -> %q", in, out)
		}
	}
}
