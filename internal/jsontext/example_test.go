package jsontext_test

import (
	"fmt"

	"github.com/airlock-sdk/airlock/internal/jsontext"
)

// A string is read out of a document and written back as encoding/json
// writes it.
func ExampleReadString() {
	doc := []byte(`{"note": "a\u003cb \ud83d\ude00"}`)
	s, _, next, err := jsontext.ReadString(nil, doc, 9)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(s), next == len(doc)-1)
	fmt.Println(string(jsontext.AppendQuote(nil, s, true)))
	fmt.Println(string(jsontext.AppendQuote(nil, s, false)))
	// Output:
	// a<b 😀 true
	// "a\u003cb 😀"
	// "a<b 😀"
}
