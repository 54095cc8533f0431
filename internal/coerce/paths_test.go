package coerce

import "testing"

func TestResolved(t *testing.T) {
	for in, want := range map[string]string{
		"/srv/data/public/../secret/keys":   "/srv/data/secret/keys",
		`\srv\data\secret`:                  "/srv/data/secret",
		"HTTP://Metadata.Internal./latest":  "http://metadata.internal/latest",
		"http://x:y@host.example/a/../b/":   "http://host.example/b/",
		"http://2852039166/latest":          "http://169.254.169.254/latest",
		"http://0xa9.0xfe.0xa9.0xfe/":       "http://169.254.169.254/",
		"http://0251.254.43518/":            "http://169.254.169.254/",
		"http://169.254.169.254./x":         "http://169.254.169.254/x",
		"http://[::ffff:a9fe:a9fe]/x":       "http://169.254.169.254/x",
		"http://h.example/%61dmin/%2e%2e/x": "http://h.example/x",
		"http://h.example:8080/a?q=1":       "http://h.example:8080/a?q=1",
	} {
		if got, _ := Resolved(in); got != want {
			t.Errorf("Resolved(%q) = %q, want %q", in, got, want)
		}
	}
	for _, same := range []string{"plain", "http://h.example/a", "/a/b"} {
		if _, changed := Resolved(same); changed {
			t.Errorf("Resolved(%q) changed it", same)
		}
	}
}
