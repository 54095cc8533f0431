package httpgate

import (
	"fmt"
	"maps"
	"slices"

	"github.com/airlock-sdk/airlock/internal/jsontext"
)

// Rails presents a JSON object body to a controller in another shape than
// it was sent: ParamsWrapper wraps the body's top-level members under the
// resource's name when the body does not send that name ({"role":"admin"}
// posted to a UsersController is also params[:user][:role]), and a
// controller reading params[:user][:role] acts on {"user":{"role":
// "admin"}} where a rule on the top-level http.body.role sees no role.
// checkWrapped refuses a name the rules read only below another; a name
// they read in both places, or only at the top, is judged instead under
// each shape: the body with the members of an object it sends at its top
// lifted to the top, and the body with its top-level members wrapped
// under a name the rules read them below. A shape that the rules guard
// where they do not guard the body as sent is refused (see
// checkReadings).

// bodyShape is a JSON object body in another shape than sent.
type bodyShape struct {
	body    map[string]any
	how, by string
}

// bodyShapes returns the shapes (see above) of body, a JSON object,
// under the names the rules read (names) and the names they read below
// another (below, by that other's name).
func bodyShapes(body any, names readNames, below map[string][]string) []bodyShape {
	m, ok := body.(map[string]any)
	if !ok {
		return nil
	}
	sent := make(map[string]string, len(m))
	for k := range m {
		sent[jsontext.FoldKey(k)] = k
	}
	var out []bodyShape
	for _, k := range slices.Sorted(maps.Keys(m)) {
		inner, ok := m[k].(map[string]any)
		if !ok || !slices.ContainsFunc(slices.Collect(maps.Keys(inner)), names.spelled) {
			continue
		}
		lifted := maps.Clone(m)
		for ik, iv := range inner {
			if other, ok := sent[jsontext.FoldKey(ik)]; ok {
				delete(lifted, other)
			}
			lifted[ik] = iv
		}
		out = append(out, bodyShape{lifted, fmt.Sprintf("the members of %.64q lifted to its top", k), fmt.Sprintf("a controller reading the resource %.64q (Rails' params[%.64q])", k, k)})
	}
	for _, parent := range slices.Sorted(maps.Keys(below)) {
		if _, ok := sent[jsontext.FoldKey(parent)]; ok {
			continue
		}
		if !slices.ContainsFunc(below[parent], func(n string) bool { _, ok := sent[jsontext.FoldKey(n)]; return ok }) {
			continue
		}
		wrapped := maps.Clone(m)
		wrapped[parent] = maps.Clone(m)
		out = append(out, bodyShape{wrapped, fmt.Sprintf("its members wrapped under %.64q", parent), "Rails' ParamsWrapper"})
	}
	return out
}
