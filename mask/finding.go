package mask

import (
	"slices"
	"strings"
)

// Finding reports what was masked, never the value.
//
// Detector is the detector or field-rule name, Field the column, header or
// JSON path the masked value came from ("" when unknown), Count how many
// values were masked.
type Finding struct {
	Detector string `json:"detector"`
	Field    string `json:"field,omitempty"`
	Count    int    `json:"count"`
}

// MergeFindings returns the union of a and b with the counts of equal
// (Detector, Field) pairs added, sorted by detector then field. It does not
// modify its arguments.
func MergeFindings(a, b []Finding) []Finding {
	if len(a) == 0 && len(b) == 0 {
		return nil
	}
	out := make([]Finding, 0, len(a)+len(b))
	out = append(out, a...)
	out = append(out, b...)
	return normalizeFindings(out)
}

// normalizeFindings merges duplicates in place and sorts.
func normalizeFindings(f []Finding) []Finding {
	if len(f) == 0 {
		return nil
	}
	if len(f) > 1 {
		slices.SortStableFunc(f, func(a, b Finding) int {
			if c := strings.Compare(a.Detector, b.Detector); c != 0 {
				return c
			}
			return strings.Compare(a.Field, b.Field)
		})
	}
	out := f[:1]
	for _, x := range f[1:] {
		last := &out[len(out)-1]
		if x.Detector == last.Detector && x.Field == last.Field {
			last.Count += x.Count
			continue
		}
		out = append(out, x)
	}
	return out
}

// tally accumulates findings without allocating for the common case of a
// handful of distinct detectors.
type tally struct {
	f []Finding
	n int // findings added, all detectors
}

func (t *tally) add(detector, field string, n int) {
	t.n += n
	for i := range t.f {
		if t.f[i].Detector == detector && t.f[i].Field == field {
			t.f[i].Count += n
			return
		}
	}
	t.f = append(t.f, Finding{Detector: detector, Field: field, Count: n})
}

func (t *tally) result() []Finding { return normalizeFindings(t.f) }
