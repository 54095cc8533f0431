package jsonjoin_test

import (
	"fmt"
	"testing"

	"github.com/airlock-sdk/airlock/internal/jsonjoin"
)

func TestValues(t *testing.T) {
	for doc, want := range map[string]string{
		`["ab","12","cd"]`:                         "ab12cd",
		`{"k0":"ab","k1":12,"k2":"cd"}`:            "ab12cd",
		`{"rows":[{"n":"ab"},{"n":"cd"}]}`:         "abcd",
		`[{"a":{"n":"ab"}},{"a":{"n":"cd"}},null]`: "abcd",
		`{"k":{"in":"ab"},"k2":["cd",{"x":"ef"}]}`: "abcdef",
		`not json`: "",
	} {
		if got := jsonjoin.Values([]byte(doc)); got != want {
			t.Errorf("%s: got %q, want %q", doc, got, want)
		}
	}
}

func ExampleValues() {
	fmt.Println(jsonjoin.Values([]byte(`{"k0":"4111","k1":[1111],"k2":{"n":"1111"}}`)))
	// Output: 411111111111
}
