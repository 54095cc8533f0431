package sqltext

import "testing"

func TestBlockCommentEnd(t *testing.T) {
	cases := []struct {
		sql   string
		start int
		end   int
		ok    bool
	}{
		{"/* a */ select", 0, 7, true},
		{"select /* a /* b */ c */ 1", 7, 24, true},
		{"/**/", 0, 4, true},
		{"/* open", 0, 0, false},
		{"/* a /* b */", 0, 0, false},
		{"/*/", 0, 0, false},
	}
	for _, c := range cases {
		end, ok := BlockCommentEnd(c.sql, c.start)
		if ok != c.ok || ok && end != c.end {
			t.Errorf("BlockCommentEnd(%q, %d) = %d, %v; want %d, %v", c.sql, c.start, end, ok, c.end, c.ok)
		}
	}
}
