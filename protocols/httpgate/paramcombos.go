package httpgate

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// A framework reads every parameter of a request at once: Spring binds
// ?to=9,8&id=2,1 to the lists [9 8] and [2 1], PHP takes the last of
// repeated values and intval()s each. A rule that needs two parameters
// read so (to[0] == "9" && id[0] == "1") is not matched by readings that
// change one parameter at a time (listReadings). So the query, and a
// form, are also judged under every combination of the readings of the
// parameters the rules read, where two or more of them change; a request
// with more combinations than maxValueReadings is refused.

// paramCombo is params with two or more parameters read otherwise, and
// what each is read as.
type paramCombo struct {
	params map[string][]string
	why    string
}

// combinedParamReadings returns the combinations (see above) of the
// readings of the parameters of params that the rules read (names).
func combinedParamReadings(params map[string][]string, names readNames) ([]paramCombo, *refusal) {
	var keys []string
	var options [][][]string // by key: the values as sent, then each reading
	total := 1
	for _, k := range slices.Sorted(maps.Keys(params)) {
		vs := params[k]
		if len(vs) == 0 || !names.spelled(k) {
			continue
		}
		lists, ref := listReadings(k, vs)
		if ref != nil {
			return nil, ref
		}
		if len(lists) == 0 {
			continue
		}
		keys = append(keys, k)
		options = append(options, append([][]string{vs}, lists...))
		total *= len(lists) + 1
		if total > maxValueReadings {
			return nil, refuse(400, "query", "the parameters the rules read have more than %d combinations of the values frameworks read them as: too many to judge each", maxValueReadings)
		}
	}
	if len(keys) < 2 {
		return nil, nil
	}
	var out []paramCombo
	idx := make([]int, len(keys))
	for {
		// The next combination, in mixed radix.
		i := 0
		for ; i < len(idx); i++ {
			if idx[i]++; idx[i] < len(options[i]) {
				break
			}
			idx[i] = 0
		}
		if i == len(idx) {
			return out, nil
		}
		changed := 0
		for _, n := range idx {
			if n > 0 {
				changed++
			}
		}
		if changed < 2 {
			continue // one change: a reading of listReadings
		}
		p := make(map[string][]string, len(params))
		for k, v := range params {
			p[k] = v
		}
		var parts []string
		for j, k := range keys {
			if idx[j] > 0 {
				p[k] = options[j][idx[j]]
				parts = append(parts, fmt.Sprintf("%q as %.64q", k, options[j][idx[j]][0]))
			}
		}
		out = append(out, paramCombo{p, strings.Join(parts, ", ")})
	}
}
