package gate

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// cutParam matches the end of a SQL parameter a protocol cut before the
// gate saw it: protocols/postgres keeps the first kilobyte of a long
// value for rules and reviewers and appends "… (N bytes)".
var cutParam = regexp.MustCompile(`… \(([0-9]+) bytes\)$`)

// markCutParams marks, among what reviewers are shown, the SQL parameters
// whose value reached the gate cut: the part nobody sees is sent all the
// same, so the request is undisplayable (refused under
// require_displayable, flagged on the console otherwise), as a binary
// parameter is.
func markCutParams(det *ReviewDetails, req *Request) {
	if det == nil || req.SQL == nil {
		return
	}
	var cut []string
	for i, p := range req.SQL.Params {
		m := cutParam.FindStringSubmatchIndex(p)
		if m == nil {
			continue
		}
		n, err := strconv.Atoi(p[m[2]:m[3]])
		if err == nil && n <= m[0] {
			continue // a value that ends so, and is whole
		}
		cut = append(cut, fmt.Sprintf("$%d (%s bytes, only its first %d shown)", i+1, p[m[2]:m[3]], m[0]))
	}
	if len(cut) == 0 {
		return
	}
	why := strings.Join(cut, ", ")
	for i := range det.Items {
		if it := &det.Items[i]; it.Label == "Parameters" {
			it.Omitted = strings.TrimSpace(it.Omitted + " " + why)
			det.Undisplayable = true
			return
		}
	}
	det.omit("Parameters", why)
}
