package postgres

import (
	"strings"
	"testing"
)

// TestListenChannel: the channel a LISTEN names, as the server stores it;
// a text the parser cannot read names none (its notifications are masked).
func TestListenChannel(t *testing.T) {
	for text, want := range map[string]string{
		"LISTEN ch":                                "ch",
		"listen Ch_1$":                             "ch_1$",
		`LISTEN "Mixed ""q"" Case"`:                `Mixed "q" Case`,
		"  LISTEN ch ;":                            "ch",
		"LISTEN " + strings.Repeat("a", 70):        strings.Repeat("a", 63),
		`LISTEN "` + strings.Repeat("é", 40) + `"`: strings.Repeat("é", 31),
	} {
		if got, ok := listenChannel(text); !ok || got != want {
			t.Errorf("listenChannel(%q) = %q, %v; want %q", text, got, ok, want)
		}
	}
	for _, text := range []string{"LISTEN", "LISTEN /* c */ ch", `LISTEN U&"d\0061t"`, "LISTEN a b", `LISTEN "open`,
		`LISTEN "a"b`, "LISTEN 1a", "NOTIFY ch"} {
		if got, ok := listenChannel(text); ok {
			t.Errorf("listenChannel(%q) = %q; want none", text, got)
		}
	}
}

// FuzzListenChannel: any text is read without a panic, and a channel it
// names is at most the server's 63 bytes.
func FuzzListenChannel(f *testing.F) {
	for _, s := range []string{"LISTEN ch", `LISTEN "a""b"`, "listen x;", `LISTEN "`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if name, ok := listenChannel(text); ok && len(name) > maxNameLen {
			t.Fatalf("%q: channel of %d bytes", text, len(name))
		}
	})
}
