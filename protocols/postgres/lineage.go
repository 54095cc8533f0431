package postgres

import "strings"

// resolveColumns names the masking field of every column of r: the
// catalog's "table.column" for a plain column; for a computed column
// (substr(card, 1, 8), card || ”), the masked source column it is computed
// from, so masking follows the data through expressions.
func (c *conn) resolveColumns(r *result) error {
	r.resolved = true
	r.cols = make([]string, len(r.fields))
	for i, f := range r.fields {
		name := ""
		if f.TableOID != 0 && f.TableAttributeNumber > 0 {
			n, err := c.srv.catalog.column(c.ctx, f.TableOID, f.TableAttributeNumber)
			if err != nil {
				return err
			}
			name = n
		}
		if name != "" && r.policy.FieldStrategy(name) != "" {
			r.cols[i] = name
			continue
		}
		src, err := c.lineageField(r, i)
		if err != nil {
			return err
		}
		switch {
		case src != "":
			r.cols[i] = src
		case name != "":
			r.cols[i] = name
		default:
			r.cols[i] = string(f.Name)
		}
	}
	return nil
}

// lineageField returns the first masked source column of output column i,
// or "".
func (c *conn) lineageField(r *result, i int) (string, error) {
	st := r.stmt
	if st == nil || len(st.Outputs) == 0 {
		return "", nil
	}
	var ls []Lineage
	switch {
	case !st.Star && len(st.Outputs) == len(r.fields):
		ls = st.Outputs[i : i+1]
	case r.fields[i].TableOID == 0:
		// Positions are unknown: any source of any output counts.
		ls = st.Outputs
	default:
		return "", nil
	}
	p := r.policy
	try := func(cand string) bool { return p.FieldStrategy(cand) != "" }
	for _, l := range ls {
		for _, col := range l.Columns {
			if q, name, ok := strings.Cut(col, "."); ok {
				if t, ok := st.Aliases[q]; ok && try(t+"."+name) {
					return t + "." + name, nil
				}
				if try(col) {
					return col, nil
				}
				continue
			}
			for _, t := range st.Tables {
				if try(t.Name + "." + col) {
					return t.Name + "." + col, nil
				}
			}
			if try(col) {
				return col, nil
			}
		}
		for _, row := range l.Rows {
			var tables []string
			if row == "*" {
				for _, t := range st.Tables {
					tables = append(tables, t.Name)
				}
			} else if t, ok := st.Aliases[row]; ok {
				tables = []string{t}
			}
			for _, t := range tables {
				cols, err := c.srv.catalog.tableColumns(c.ctx, t)
				if err != nil {
					return "", err
				}
				for _, col := range cols {
					if try(t + "." + col) {
						return t + "." + col, nil
					}
				}
			}
		}
	}
	return "", nil
}
