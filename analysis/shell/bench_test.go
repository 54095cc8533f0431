package shell

import "testing"

// benchLines are typical agent command lines: reads, pipelines, wrappers,
// awk and sed programs, nested shells.
var benchLines = []string{
	"ls -la /var/log",
	"ps aux | grep ssh | wc -l",
	"awk -F: '{print $1}' /etc/passwd | sort | uniq -c",
	"sed -n '1,20p' /etc/hosts",
	"timeout -v 5 nice -n 10 env -u HOME find . -name '*.go' -type f",
	"sh -c 'cat /etc/os-release; uname -a'",
	"git rev-parse HEAD && git ls-tree -r HEAD --name-only | head",
	"tar -tzf archive.tar.gz | grep -v '^\\./'",
	"journalctl -n 100 --no-pager | tail",
	"for f in *.log; do wc -l \"$f\"; done",
}

// BenchmarkParse parses benchLines; CPU per line is ns/op divided by
// len(benchLines).
func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		for _, l := range benchLines {
			if _, err := Parse(l); err != nil {
				b.Fatal(err)
			}
		}
	}
}
