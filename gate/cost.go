package gate

import (
	"unsafe"

	"cel.dev/cel-go/common/cost"
	"cel.dev/cel-go/common/types"
)

// sizeEstimator bounds the sizes of request attributes for cost estimation,
// so rules that iterate get a finite worst case.
type sizeEstimator struct{}

const (
	maxEstimatedList   = 256
	maxEstimatedString = 4 << 10
)

func (sizeEstimator) EstimateSize(n cost.AstNode) *cost.SizeEstimate {
	if n.Path() == nil {
		return nil
	}
	var est cost.SizeEstimate
	switch n.Type().Kind() {
	case types.StringKind, types.BytesKind:
		est = cost.SizeEstimate{Min: 0, Max: maxEstimatedString}
	case types.ListKind, types.MapKind:
		est = cost.SizeEstimate{Min: 0, Max: maxEstimatedList}
	case types.DynKind:
		// A JSON value (http.body, tool.args values, claims): a string or
		// a collection, bounded by the larger of the two.
		est = cost.SizeEstimate{Min: 0, Max: maxEstimatedString}
	default:
		return nil
	}
	return &est
}

func (sizeEstimator) EstimateCallCost(function, overloadID string, target *cost.AstNode, args []cost.AstNode) *cost.CallEstimate {
	return nil
}

// withinEstimate reports whether every list, map and string a rule can read
// from req is within the sizes the estimator assumed, so that load-time cost
// estimates are true upper bounds for this request. The checks are the
// vocabulary's, derived from the Go types of the variables: one per
// variable that is not a struct field, and one pass over each struct the
// others are read from, nested request objects included (vocabfield.go).
func withinEstimate(req *Request) bool {
	if req.Session == nil {
		return false
	}
	for _, ok := range sizeChecks {
		if !ok(req) {
			return false
		}
	}
	for i := range sizeGroups {
		g := &sizeGroups[i]
		p := g.base(req)
		if p == nil {
			continue // absent: every field is zero
		}
		if !g.sizes.ok(p) {
			return false
		}
		for _, ok := range g.checks {
			if !ok(req) {
				return false
			}
		}
	}
	return true
}

// sizeChecks are the size checks of the variables that are not struct
// fields; sizeGroups those of the structs the others are read from.
var sizeChecks, sizeGroups = func() (checks []func(*Request) bool, groups []sizeGroup) {
	last := 0
	for _, v := range vocabulary {
		if v.group == 0 {
			if v.bounded != nil {
				checks = append(checks, v.bounded)
			}
			continue
		}
		if v.group != last {
			groups = append(groups, sizeGroup{base: v.base, sizes: v.sizes})
			last = v.group
		}
		if v.bounded != nil { // an overridden field
			g := &groups[len(groups)-1]
			g.checks = append(g.checks, v.bounded)
		}
	}
	return checks, groups
}()

// sizeGroup is the size check of a struct variables are read from, and of
// the variables that read it their own way.
type sizeGroup struct {
	base   func(*Request) unsafe.Pointer
	sizes  *sizes
	checks []func(*Request) bool
}

func strOK(s string) bool { return len(s) <= maxEstimatedString }

func strsOK(list []string) bool {
	if len(list) > maxEstimatedList {
		return false
	}
	for _, s := range list {
		if len(s) > maxEstimatedString {
			return false
		}
	}
	return true
}

func mapOK(m map[string][]string) bool {
	if len(m) > maxEstimatedList {
		return false
	}
	for k, v := range m {
		if !strOK(k) || !strsOK(v) {
			return false
		}
	}
	return true
}

// strMapOK checks a map of strings against the estimator's bounds.
func strMapOK(m map[string]string) bool {
	if len(m) > maxEstimatedList {
		return false
	}
	for k, v := range m {
		if !strOK(k) || !strOK(v) {
			return false
		}
	}
	return true
}

// anyOK checks a decoded JSON value against the estimator's bounds: every
// string, list and map within them, nesting included.
func anyOK(v any, depth int) bool {
	if depth > 32 {
		return false
	}
	switch x := v.(type) {
	case string:
		return strOK(x)
	case []any:
		if len(x) > maxEstimatedList {
			return false
		}
		for _, e := range x {
			if !anyOK(e, depth+1) {
				return false
			}
		}
	case map[string]any:
		if len(x) > maxEstimatedList {
			return false
		}
		for k, e := range x {
			if !strOK(k) || !anyOK(e, depth+1) {
				return false
			}
		}
	case nil, bool, float64, int, int64, uint64, float32, int32:
	default:
		return false // a type the walk does not know: take the tracked path
	}
	return true
}
