package gate

import (
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

// sizeChecks are the size checks of a set of variables: the request is
// within the cost estimate of rules that read only those variables when
// every one of them is within the sizes the estimator assumed, so that the
// rules' load-time estimates are true upper bounds for it. A variable's
// check is derived from its Go type (variable.derive); a variable of a
// fixed size, or one with a reason to need none, has none.
type sizeChecks []func(*Request) bool

// sizeChecksOf returns the size checks of the variables named.
func sizeChecksOf(names []string) sizeChecks {
	var out sizeChecks
	for _, name := range names {
		if v := variableNamed(name); v != nil && v.bounded != nil {
			out = append(out, v.bounded)
		}
	}
	return out
}

// within reports whether req is within the estimate for the variables
// checked. A request without a session never is: it takes the tracked
// path.
func (c sizeChecks) within(req *Request) bool {
	if req.Session == nil {
		return false
	}
	for _, ok := range c {
		if !ok(req) {
			return false
		}
	}
	return true
}

// everySize checks every variable of the vocabulary.
var everySize = func() sizeChecks {
	names := make([]string, len(vocabulary))
	for i, v := range vocabulary {
		names[i] = v.name
	}
	return sizeChecksOf(names)
}()

// withinEstimate reports whether every list, map and string any rule can
// read from req is within the sizes the estimator assumed. A partition
// checks only what its own rules read (partition.sizes).
func withinEstimate(req *Request) bool { return everySize.within(req) }

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
