package shell

import (
	"testing"

	"github.com/airlock-sdk/airlock/gate"
)

// maskedBenchLines are command lines a masking decision judges: most
// pass, and each is judged whole (the new order and notation checks run
// after the others).
var maskedBenchLines = []string{
	"ls -lU /var/log", "cat /srv/data/report.csv", "find /srv/data -type f", "du -a /srv/data | tail -n 5",
	"head -n 20 /etc/hosts", "stat -c '%n %s' /srv/data/a", "timeout 5 cat /srv/x | wc -l",
}

// BenchmarkOutputTransform judges maskedBenchLines, parsed once; CPU per
// line is ns/op divided by len(maskedBenchLines).
func BenchmarkOutputTransform(b *testing.B) { benchOutputTransform(b, maskedBenchLines) }

// maskedBenignBenchLines pass a masking decision, before the listing,
// length and process checks (maskedorder.go, maskedlayout.go) and after.
var maskedBenignBenchLines = []string{
	"cat /srv/data/report.csv", "head -n 20 /etc/hosts", "ps aux", "wc -l /var/log/syslog", "stat /srv/data/a",
	"du -sh /srv/data", "journalctl -u nginx -n 50", "ls -ld /srv/data",
}

// BenchmarkOutputTransformBenign judges maskedBenignBenchLines, parsed
// once: the cost the checks add to the lines they let through.
func BenchmarkOutputTransformBenign(b *testing.B) { benchOutputTransform(b, maskedBenignBenchLines) }

// benchOutputTransform judges lines, parsed once, each time round.
func benchOutputTransform(b *testing.B, lines []string) {
	var parsed []*gate.SSH
	for _, l := range lines {
		s, err := Parse(l)
		if err != nil {
			b.Fatal(err)
		}
		parsed = append(parsed, s)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range parsed {
			_, _ = OutputTransform(s)
		}
	}
}
