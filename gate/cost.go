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

// withinEstimate reports whether every list, map and string a rule can read
// from req is within the sizes the estimator assumed, so that load-time cost
// estimates are true upper bounds for this request.
func withinEstimate(req *Request) bool {
	if !strOK(req.Command) || req.Session == nil {
		return false
	}
	id := req.Session.Identity
	if !strsOK(id.Groups) || !anyOK(id.Claims, 0) || !strOK(id.Subject) || !strOK(id.Name) {
		return false
	}
	s := req.Session
	if !strOK(s.ID) || !strOK(s.Target) || !strOK(s.ClientAddr) {
		return false
	}
	if x := req.SQL; x != nil {
		if len(x.Statements) > maxEstimatedList || !strsOK(x.Params) {
			return false
		}
		for i := range x.Statements {
			st := &x.Statements[i]
			if !strOK(st.Text) || !strOK(st.Kind) || !strsOK(st.Functions) || !strsOK(st.Columns) || len(st.Tables) > maxEstimatedList {
				return false
			}
			for _, t := range st.Tables {
				if !strOK(t.Name) || !strOK(t.Schema) {
					return false
				}
			}
		}
	}
	if x := req.SSH; x != nil {
		if !strOK(x.Command) || !strsOK(x.Programs) || !strsOK(x.Argv) || len(x.Commands) > maxEstimatedList ||
			!strOK(x.Path) || !strOK(x.TargetPath) || !strOK(x.EnvValue) {
			return false
		}
		for _, c := range x.Commands {
			if !strOK(c.Path) || !strsOK(c.Args) || !strsOK(c.Redirects) || len(c.Redirections) > maxEstimatedList {
				return false
			}
			for _, r := range c.Redirections {
				if !strOK(r.Target) {
					return false
				}
			}
		}
	}
	if x := req.HTTP; x != nil {
		if !strOK(x.Path) || !strOK(x.Host) || !mapOK(x.Query) || !mapOK(x.Headers) || !anyOK(x.Body, 0) {
			return false
		}
	}
	if x := req.Tool; x != nil {
		if !strOK(x.Name) || !strOK(x.URI) || !anyOK(x.Args, 0) {
			return false
		}
	}
	return true
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
