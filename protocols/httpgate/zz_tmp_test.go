package httpgate

import (
	"fmt"
	"testing"

	"github.com/airlock-sdk/airlock/mask"
)

func TestZZCount(t *testing.T) {
	eng, _ := mask.New(mask.Config{})
	p, _ := eng.Policy([]string{"credit_card", "email"})
	out, _, _ := p.JSON([]byte(benchDoc))
	w := protoWatch{p: p, buf: out}
	b := out
	starts, ends, finds := 0, 0, 0
	seen := map[string]bool{}
	_ = w
	for i := 0; i < len(b); i++ {
		if !protoTag(b[i]) || i+2 >= len(b) || !protoLen(b[i+1]) {
			continue
		}
		s, e := i+2, i+2+int(b[i+1])
		if e > len(b) {
			continue
		}
		if e < len(b) && !(e+1 < len(b) && protoTag(b[e]) && protoLen(b[e+1])) {
			continue
		}
		starts++
		if glued(b[s-1], b[s]) {
			finds++
			seen[string(b[s:min(e, s+protoWindow, len(b))])] = true
		}
		if e < len(b) && glued(b[e-1], b[e]) {
			ends++
			seen[string(b[max(s, e-protoWindow):e])] = true
		}
	}
	fmt.Println("len", len(b), "starts", starts, "startFinds", finds, "endFinds", ends, "distinct", len(seen))
}
