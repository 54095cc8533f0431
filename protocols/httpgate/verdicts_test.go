package httpgate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/airlock-sdk/airlock/mask"
)

// recordsDoc is a JSON document of records that repeat their keys and
// most values (as an API's lists do), with hidden values among them:
// printable protobuf or base85 text (holes4_test.go's families) as a
// record's string, raw after the document's text, or none.
func recordsDoc(r *rand.Rand, hidden []packedCase) []byte {
	type rec struct {
		ID     int      `json:"id"`
		Name   string   `json:"name"`
		Status string   `json:"status"`
		Tags   []string `json:"tags"`
		Note   string   `json:"note,omitempty"`
	}
	names := []string{"widget", "gadget", "sprocket"}
	var recs []rec
	for i := range 4 + r.IntN(16) {
		x := rec{ID: 1000 + i*r.IntN(3), Name: names[r.IntN(len(names))], Status: "active", Tags: []string{"a", "b"}}
		if len(hidden) > 0 && r.IntN(6) == 0 {
			x.Note = string(hidden[r.IntN(len(hidden))].body)
		}
		recs = append(recs, x)
	}
	doc, _ := json.Marshal(map[string]any{"items": recs})
	if len(hidden) > 0 && r.IntN(5) == 0 {
		doc = append(append(doc, '\n'), hidden[r.IntN(len(hidden))].body...)
	}
	return doc
}

// judgeBody is what the gateway says of a masked body, whole as a JSON
// body is judged and streamed in random pieces (and as lines): the
// errors' texts, "" for none.
func judgeBody(p *mask.Policy, r *rand.Rand, body []byte) string {
	texts := [][]byte{body}
	if bytes.IndexByte(body, '\\') >= 0 {
		texts = append(texts, unescapeJSON(body))
	}
	verdict := fmt.Sprint(checkProtoFields(p, texts...))
	for _, lines := range []bool{false, true} {
		out, err := streamProtoWatch(p, r, body, lines, 400)
		verdict += fmt.Sprintf(" | %v %d", err, out.Len())
	}
	return verdict
}

// TestRememberedVerdictsChangeNothing: the windows and base85 decodes a
// body repeats, judged once (verdicts), leave every verdict as judging
// each afresh gives it, whole and streamed, on documents of repeated
// records with hidden protobuf and base85 values and without.
func TestRememberedVerdictsChangeNothing(t *testing.T) {
	p := leakPolicy(t)
	r := rand.New(rand.NewPCG(19, 20))
	hidden := append(printableProtobufCases(r, 40, false), base85Cases(r, 30)...)
	differ, refused, total := 0, 0, 0
	for k := range 240 {
		var doc []byte
		if k%3 == 0 {
			doc = recordsDoc(r, nil)
		} else {
			doc = recordsDoc(r, hidden)
		}
		masked, _, err := p.JSON(doc)
		if err != nil {
			masked = doc // not one JSON text: judged as it is
		}
		seed := r.Uint64()
		remembered := judgeBody(p, rand.New(rand.NewPCG(seed, 1)), masked)
		judgeAfresh.Store(true)
		afresh := judgeBody(p, rand.New(rand.NewPCG(seed, 1)), masked)
		judgeAfresh.Store(false)
		total++
		if remembered != afresh {
			differ++
			t.Errorf("document %d: remembered %q, afresh %q", k, remembered, afresh)
		}
		if remembered[:5] != "<nil>" {
			refused++
		}
	}
	t.Logf("%d of %d verdicts differ; %d documents refused", differ, total, refused)
	if refused == 0 || refused == total {
		t.Fatalf("%d of %d refused: the generator does not exercise both verdicts", refused, total)
	}
}
