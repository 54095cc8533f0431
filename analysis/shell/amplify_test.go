package shell

import (
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// amplifier is one construct whose parse or walk may grow with nesting or
// chain length: open and close are repeated n times around mid; unit is
// the bytes one level adds.
type amplifier struct {
	name              string
	prefix, open, mid string
	close, suffix     string
}

// amplifiers are the family: every construct the parser nests or chains.
var amplifiers = []amplifier{
	{"brace", "", "{ ", "ls", "; }", ""},
	{"subshell", "", "(", "ls", ")", ""},
	{"cmdsubst", "echo ", "$(echo ", "x", ")", ""},
	{"cmdsubst-quotedparen", "echo ", "$(echo ')' ", "x", ")", ""},
	{"subshell-quotedparen", "", "(echo ')'; ", "ls", ")", ""},
	{"backtick-cmdsubst", "echo ", "`echo $(", "x", ")`", ""},
	{"paramexp", "echo ", "${a:-", "x", "}", ""},
	{"paramexp-index", "echo ", "${a[", "1", "]}", ""},
	{"arith-nest", "echo $((", "(", "1", ")", "))"},
	{"arith-chain", "echo $((1", "+1", "", "", "))"},
	{"arith-unary", "echo $((", "- ", "1", "", "))"},
	{"arith-not", "echo $((", "!", "1", "", "))"},
	{"arith-ternary", "echo $((", "1?1:", "1", "", "))"},
	{"arith-assign", "echo $((", "a=", "1", "", "))"},
	{"arithcmd-chain", "((1", "+1", "", "", "))"},
	{"let-chain", "let a=1", "+1", "", "", ""},
	{"index-chain", "a[1", "+1", "", "", "]=x"},
	{"test-chain", "[[ a", " && a", "", "", " ]]"},
	{"test-or-chain", "[[ a", " || a", "", "", " ]]"},
	{"test-paren", "[[ ", "( ", "a", " )", " ]]"},
	{"test-not", "[[ ", "! ", "a", "", " ]]"},
	{"if", "", "if true; then ", "ls", "; fi", ""},
	{"while", "", "while true; do ", "ls", "; done", ""},
	{"until", "", "until true; do ", "ls", "; done", ""},
	{"for", "", "for i in 1; do ", "ls", "; done", ""},
	{"cfor", "", "for ((;;)); do ", "ls", "; done", ""},
	{"case", "", "case x in x) ", "ls", ";; esac", ""},
	{"function", "", "f() { ", "ls", "; }", ""},
	{"function-keyword", "", "function f { ", "ls", "; }", ""},
	{"coproc", "", "coproc { ", "ls", "; }", ""},
	{"time", "", "time { ", "ls", "; }", ""},
	{"extglob", "ls ", "@(", "a", ")", ""},
	{"mksh-subst", "echo ", "${ echo ", "x;", "}", ""},
	{"select", "", "select i in 1; do ", "ls", "; done", ""},
	{"pipeline", "ls", " | ls", "", "", ""},
	{"and-list", "ls", " && ls", "", "", ""},
	{"or-list", "ls", " || ls", "", "", ""},
	{"not-pipeline", "", "! ", "ls", "", ""},
	{"procsubst", "cat ", "<(cat ", "x", ")", ""},
	{"quoted-subst", "echo ", "\"$(echo ", "x", ")\"", ""},
	{"heredoc-subst", "cat <<E\n", "$(echo ", "x", ")", "\nE"},
	{"redirect-subst", "", "cat <$(echo ", "x", ")", ""},
	{"array-subst", "a=(", "$(echo ", "x", ")", ")"},
	{"semicolons", "", "ls; ", "ls", "", ""},
	// Redirections: each target is a word of its own to the parser.
	{"redirect-chain", "ls", " >a", "", "", ""},
	{"append-chain", "ls", " >>a", "", "", ""},
	{"input-chain", "cat", " <a", "", "", ""},
	{"fd-redirect-chain", "ls", " 2>a", "", "", ""},
	{"clobber-chain", "ls", " >|a", "", "", ""},
	{"both-redirect-chain", "ls", " &>a", "", "", ""},
	{"dup-chain", "ls", " >&2", "", "", ""},
	{"readwrite-chain", "cat", " <>a", "", "", ""},
	{"herestring-chain", "cat", " <<<a", "", "", ""},
	{"redirect-glued", "ls", ">a", "", "", ""},
	// Tricks on the bound's reading of quotes and reserved words.
	{"brace-literal-close", "", "{ echo }; ", "ls", "; }", ""},
	{"param-quote", "echo ", "\"${a:-'}\" $(echo ", "x", ")", "'\""},
	{"comment-quote", "echo ", "$(echo x # ' )\n", "x", ")", ""},
	{"heredoc-quote", "echo ", "$(cat <<'E'\n')'\nE\n", "x", ")", ""},
	{"dollar-quote", "echo ", "$(echo $'\\')' ", "x", ")", ""},
	{"case-alternatives", "case x in a", "|a", "", "", ") ls;; esac"},
	{"comment-chain", ": '", "# ", "", "", "'"},
	{"sq-spans", "echo ", "'(' ", "", "", ""},
	// Spans read again as code inside spans: each level re-reads the rest.
	{"comment-quote-chain", ": ", "# ' ", "x", "", ""},
	{"heredoc-nest", "", "cat <<E\n$(cat <<E\n", "x", "\nE\n)\nE", ""},
	{"heredoc-nest-long", "", "cat <<E\n$(cat <<E\n", strings.Repeat("x", 200<<10), "\nE\n)\nE", ""},
}

// wrapping places a construct where the analyser reads it.
type wrapping struct {
	name string
	wrap func(string) string
}

func singleQuoted(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

var wrappings = []wrapping{
	{"plain", func(s string) string { return s }},
	{"sh-c", func(s string) string { return "sh -c " + singleQuoted(s) }},
	{"bash-c-twice", func(s string) string { return "bash -c " + singleQuoted("bash -c "+singleQuoted(s)) }},
	{"in-subst", func(s string) string { return "echo $(" + s + "\n)" }},
	{"sudo-env", func(s string) string { return "sudo env A=1 bash -c " + singleQuoted(s) }},
	{"xargs", func(s string) string { return "xargs sh -c " + singleQuoted(s) }},
	{"eval", func(s string) string { return "eval " + singleQuoted(s) }},
	{"bash-c-8", func(s string) string {
		for range 8 {
			s = "bash -c " + singleQuoted(s)
		}
		return s
	}},
	{"find-exec", func(s string) string { return "find . -exec sh -c " + singleQuoted(s) + " \\;" }},
}

// build nests or chains the construct n levels deep, or (n < 0) as deep as
// fits in MaxCommandBytes once wrapped.
func (am amplifier) build(w wrapping, n int) string {
	at := func(n int) string {
		return w.wrap(am.prefix + strings.Repeat(am.open, n) + am.mid + strings.Repeat(am.close, n) + am.suffix)
	}
	if n >= 0 {
		return at(n)
	}
	// Wrapping escapes byte by byte, so the length is affine in n.
	l0, l1 := len(at(0)), len(at(1))
	if l0 > MaxCommandBytes {
		return at(0)
	}
	return at((MaxCommandBytes - l0) / (l1 - l0))
}

// cost is what judging one command took.
type cost struct {
	cpu   time.Duration
	bytes uint64 // heap allocated plus stack grown
	err   error
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measure parses cmd in a fresh goroutine, so the stack it grows is its own.
func measure(cmd string) cost {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	done := make(chan cost)
	start := cpuTime()
	go func() {
		_, err := Parse(cmd)
		runtime.ReadMemStats(&after)
		done <- cost{err: err}
	}()
	c := <-done
	c.cpu = cpuTime() - start
	c.bytes = after.TotalAlloc - before.TotalAlloc + (after.StackInuse - min(before.StackInuse, after.StackInuse))
	return c
}

// TestAmplifiers judges every construct × depth × wrapping and holds each
// to a bound linear in its size: at most 64 MB allocated (heap and stack),
// and at most three times the CPU of a flat command line of the same size
// (50 ms at least, for the noise of a shared machine). A command may be
// refused, with the nesting error, but never costs more.
func TestAmplifiers(t *testing.T) {
	// Flat lines that are judged: one long word, and many short ones.
	flat := measure("echo '" + strings.Repeat("a", MaxCommandBytes-8) + "'")
	words := measure("echo " + strings.Repeat("a ", maxWords-2))
	if flat.err != nil || words.err != nil {
		t.Fatalf("flat lines refused: %v, %v", flat.err, words.err)
	}
	budget := max(50*time.Millisecond, 3*flat.cpu, 3*words.cpu)
	t.Logf("flat line of %d words: %v, %d MB", maxWords-1, words.cpu, words.bytes>>20)
	const maxBytes = 64 << 20
	t.Logf("flat line of %d bytes: %v, %d MB; budget %v, %d MB", MaxCommandBytes, flat.cpu, flat.bytes>>20, budget, maxBytes>>20)
	over, total := 0, 0
	var worst cost
	for _, am := range amplifiers {
		for wi, w := range wrappings {
			for _, n := range []int{maxNesting * 3 / 4, -1} {
				if wi > 2 && (n >= 0 || raceEnabled) {
					continue // the wrappings past sh -c, at full size, without -race
				}
				cmd := am.build(w, n)
				c := measure(cmd)
				total++
				worst.cpu, worst.bytes = max(worst.cpu, c.cpu), max(worst.bytes, c.bytes)
				if c.cpu > budget || c.bytes > maxBytes {
					over++
					t.Errorf("%s %s depth %d (%d bytes): %v, %d MB, %v", am.name, w.name, n, len(cmd), c.cpu, c.bytes>>20, c.err)
				}
				if c.err != nil && n < 0 && !strings.Contains(c.err.Error(), "cannot be judged") {
					t.Errorf("%s %s: refused without the gate's error: %v", am.name, w.name, c.err)
				}
			}
		}
	}
	t.Logf("%d of %d constructs over the bound; the costliest took %v, %d MB", over, total, worst.cpu, worst.bytes>>20)
}
