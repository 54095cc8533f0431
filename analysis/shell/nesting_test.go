package shell

import (
	"fmt"
	"strings"
	"testing"
)

// benignNesting are ordinary command lines, some nested or chained a few
// levels, that the nesting bound must let through.
func benignNesting() []string {
	lines := []string{
		"cd /srv/app && git pull --ff-only && make build && sudo systemctl restart app && curl -fsS localhost:8080/health",
		`for f in $(ls *.log); do gzip "$f"; done`,
		`while read -r l; do echo "$l"; done < /etc/hosts`,
		`echo $(date +%s) $(hostname) $(uname -r)`,
		`echo $(basename $(dirname $(readlink -f $(which ls))))`,
		`x=$(( (1 + 2) * 3 - 4 / 2 )); echo $x`,
		`[[ -f /etc/hosts && -r /etc/hosts || -n "$X" ]] && echo ok`,
		`if [ -d /srv ]; then if [ -f /srv/x ]; then cat /srv/x; else echo none; fi; fi`,
		`case "$1" in start|stop|restart) echo "$1";; *) echo usage;; esac`,
		`awk '{ if ($3 > 100) { print $1 } else { n++ } } END { print n }' /var/log/syslog`,
		`jq '.items[] | select(.status == "ok") | {name: .name, id: (.id | tostring)}' f.json`,
		"cat <<'EOF'\n(((( it's )) quoted $(\nEOF",
		"cat <<EOF\n$(hostname) don't $(date)\nEOF",
		`f() { local x=$1; echo "${x:-default}"; }; f a`,
		`diff <(sort a) <(sort b)`,
		`sh -c 'cd /tmp && ls -la | grep -v total | wc -l'`,
		`sudo -u www bash -c 'cd /srv && git log --oneline -n 5'`,
		`find . -name '*.go' -exec grep -l 'func main' {} \;`,
		`ps aux | grep -v grep | grep nginx | awk '{print $2}' | xargs -r kill -0`,
		`sed -E 's/([0-9]+)\.([0-9]+)/\2.\1/g' file`,
		`for i in {1..10}; do echo $((i * i)); done`,
		`echo "${PATH//:/ }"; printf '%s\n' "${arr[@]}"`,
		`time (sleep 1; echo done)`,
		`ls -la # a comment with a 'quote`,
		`test $# -gt 0 || { echo "usage: $0 file" >&2; exit 1; }`,
		`kubectl get pods -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}'`,
		`python3 -c 'import sys; print(sum(int(x) for x in sys.argv[1:]))' 1 2 3`,
		`git log --format='%H %s' | head -20`,
		`grep -E '^(a|b|c)+(d|e)*$' f`,
		`echo "$(echo "$(echo "$(echo hi)")")"`,
		`a[i+1]=x; echo ${a[i+1]} ${s:1:2}; let n=n+1`,
		`find / -xdev \( -name '*.log' -o -name '*.gz' \) ! -newer /tmp/ref -print`,
		"tar czf - /etc | ssh backup 'cat > etc.tgz'",
		`docker ps --format '{{.Names}}\t{{.Status}}' | sort`,
		`base64 -d <<< 'aGVsbG8gd29ybGQ+Pz8/Pz8/' | wc -c`,
	}
	// A deploy script of 300 lines, each a short chain.
	var script strings.Builder
	for i := range 300 {
		fmt.Fprintf(&script, "echo step %d && date +%%s || exit 1\n", i)
	}
	lines = append(lines, script.String())
	// $( ) and subshells ten levels deep, and a chain of fifty.
	lines = append(lines, "echo "+strings.Repeat("$(echo ", 10)+"x"+strings.Repeat(")", 10))
	lines = append(lines, strings.Repeat("(", 10)+"ls"+strings.Repeat(")", 10))
	lines = append(lines, "true"+strings.Repeat(" && true", 50))
	lines = append(lines, "echo $(("+strings.Repeat("1 + ", 50)+"1))")
	return lines
}

// TestNestingBenign: ordinary lines are judged, not refused.
func TestNestingBenign(t *testing.T) {
	refused := 0
	lines := benignNesting()
	for _, l := range lines {
		if _, err := Parse(l); err != nil {
			refused++
			t.Errorf("%.80q: %v", l, err)
		}
	}
	t.Logf("%d of %d ordinary lines refused", refused, len(lines))
}

// TestNestingBound: the bound is quote-aware (quoted brackets open
// nothing, an unquoted one does) and counts what the parser nests.
func TestNestingBound(t *testing.T) {
	for _, c := range []struct {
		src  string
		want int
	}{
		{"ls", 1},
		{"echo ')))((('", 5}, // a quoted span is also read as code, one level in: an over-estimate
		{"echo $(ls)", 2},
		{"echo \"$(ls)\"", 3},
		{"{ ls; }", 2},
		{"{ echo }; ls; }", 2},
		{"a && b | c", 3},
		{"a && b; c", 2},
		{"echo $((1+2*3))", 5},
		{"if a; then b; fi", 2},
		{"case x in a) ls;; esac", 2},
		{"cat <<'E'\n((((\nE\nls", 6},
	} {
		if got, _ := nestingDepth(c.src); got != c.want {
			t.Errorf("nestingDepth(%q) = %d, want %d", c.src, got, c.want)
		}
	}
	// A quoted ) closes nothing: 300 levels are 300 however they are quoted.
	for _, q := range []string{"')'", `")"`, `\)`, "$')'", "# )\n"} {
		src := "echo " + strings.Repeat("$(echo "+q+" ", 300) + strings.Repeat(")", 300)
		if _, err := Parse(src); err == nil || !strings.Contains(err.Error(), "nested or chained") {
			t.Errorf("quoted %s: %v", q, err)
		}
	}
}
