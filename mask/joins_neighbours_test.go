package mask_test

import (
	"testing"

	"github.com/airlock-sdk/airlock/mask"
)

// A value found whole in one member of a JSON document is masked there,
// and its neighbours, which joined to it would read as a longer value of
// the same kind (a name before an address: "Adaada@example.com"; a word
// after it: "example.comACME"), keep their text; the document keeps its
// shape, as text and as JSON.
func TestJoinsLeaveNeighboursOfAFoundValue(t *testing.T) {
	eng, err := mask.New(mask.Config{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := eng.Policy([]string{"pii", "secrets"})
	if err != nil {
		t.Fatal(err)
	}
	for doc, want := range map[string]string{
		`{"id":7,"name":"Ada","email":"ada@example.com","card":"4111 1111 1111 1111"}`:                       `{"id":7,"name":"Ada","email":"[EMAIL]","card":"[CREDIT_CARD]"}`,
		`{"first":"Jo","last":"Ng","email":"jo.ng@example.org"}`:                                             `{"first":"Jo","last":"Ng","email":"[EMAIL]"}`,
		`{"login":"JSmith","email":"j.smith@example.com","org":"ACME"}`:                                      `{"login":"JSmith","email":"[EMAIL]","org":"ACME"}`,
		`[{"user":"Bob","mail":"bob@corp.io","team":"QA"},{"user":"Eve","mail":"eve@corp.io","team":"Ops"}]`: `[{"user":"Bob","mail":"[EMAIL]","team":"QA"},{"user":"Eve","mail":"[EMAIL]","team":"Ops"}]`,
	} {
		text, _, err := p.Value("f", doc)
		if err != nil || text != want {
			t.Errorf("text %s:\n got %s (%v)\nwant %s", doc, text, err, want)
		}
		js, _, err := p.JSON([]byte(doc))
		if err != nil || string(js) != want {
			t.Errorf("JSON %s:\n got %s (%v)\nwant %s", doc, js, err, want)
		}
	}
	// A value split into pieces none of which is found alone is still
	// read joined.
	for _, doc := range []string{`{"a":"4111","b":"1111","c":"1111","d":"1111"}`, `["ann@exa","mple.com"]`} {
		text, _, _ := p.Value("f", doc)
		js, _, _ := p.JSON([]byte(doc))
		if text == doc || string(js) == doc {
			t.Errorf("%s: a value in pieces came through: text %s, JSON %s", doc, text, js)
		}
	}
}
