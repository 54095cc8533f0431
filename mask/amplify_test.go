package mask

import (
	"cmp"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// amplifierTriggers are the starts of the masker's readings: each, repeated
// to a long text, makes every reading that starts at it run again.
var amplifierTriggers = []string{
	"eyJ", "eyJhbGciOi.", "eyJ.eyJ.", "-----BEGIN ", "-----BEGIN PRIVATE KEY-----\n", "-----END ", "-----END PRIVATE KEY-----\n",
	"password=", "password", "pass=", "secret: ", "token ", "api_key=\"", "Authorization: Bearer ", "password=[", "password=<a>",
	"AKIA", "ghp_", "xoxb-", "sk_live_", "AIza", "glpat-", "hooks.slack.com/services/",
	"QUFB", "QUFBQUFBQUFB ", "4142", "41 ", "0x41,", "0x41 ", "\\x41", "%41", "&#65;", "&#x41;", "\\u0041", "=41",
	"65,", "chr(65)+", "String.fromCharCode(", "four ", "four, ", " dot ", " at ", "(at)", "@", "a@", "a@b.", "a.b@",
	"1", "1 ", "1-", "4111 ", "4111111111111111", "123-45-", "(415) ", "+1 ", "10.0.", "::", "GB82 ", "DE89",
	"<b>", "<", "&lt;", "\"+\"", "'+'", "\" \"", "\\", "\\\\", "\x00", "\xe2\x80\x8b", "\xef\xbc\x91", "٤",
	"   a", "   4", "0000000 ", "00000000: 3431 ", "34313131 ", "074170 ", "30840 ", "01111000 ",
	"<~", "~>", "9jqo^", "MTIz", "NDEx", "4111\n", "\"4111\"", "[", "{\"a\":", "\"password\":\"", "key=", "-p", "--password ",
	"<a>4111</a>", "a<b>", "<a>password=", "password=\"<a>", "password=(", "password={", "password='",
	"\\\"password\\\":\\\"", "password: eyJ", "eyJ<b>", "AKIA<b>", "<i>eyJ", "%3D", "pass-", "&#52;&#49;",
	"--pass ", "--pass x ", "<pass>", "<pass>x", "db_pass=", "pw=", "PASS: ", "pass=1 ", "userPass:",
	"00000000: 7878  xx\n", "0000000 074170 074170\n", "34207878 ", "3420787831313131 ", "30840   ", "874543224 ",
	"mysql ", "mysql -p", "mysql -u", "sshpass ", "sshpass -p ", "curl ", "curl -u ", "://", "://a:", "x://a:b", "-p ",
	"SIGNING_KEY=", "signing_key=Ab1", "key: ", "privateKey:",
	"0000000 3939343338353620\n", "78787878\n", " 78 78\n*\n", "0000000 2021161080         10\n",
	"identified by '", "IDENTIFIED BY ", " PASSWORD '", "password = $1 ", "password=${A}", "://a:p@",
	// SQL strings and clauses, connection strings, parameters, remotes,
	// dump lines.
	"PASSWORD $$", " PASSWORD $a$", "password=$a$", "IDENTIFIED WITH a BY ", "CREATE USER a IDENTIFIED BY ",
	" PASSWORD FOR a = ", "PASSWORD(", "password=E'", "host=a password=b&", " password=b;c ", "password = :a ",
	"password = :a where ", " PASSWORD :'a' ", "git@a.com:b/", "a@b.com:~", "ssh://a@b.com/",
	"41 41\n", "4111 1111\n", "0000000 4111 1111 1111 1111\n", "00000000: 3431 3131 3131 3131  4111\n",
	"41414141\n", "4141\n", " 41 41\n", "0000000  4111111111111111\n",
}

// amplifierCost is the least CPU time of this thread in up to three runs
// of Value over text repeated to n bytes (the thread's time: the other
// processes of a loaded machine do not count in it). It stops at the first
// run within enough: the least of three is then within it too, so a
// caller that judges against enough reaches the verdict three runs would.
// enough 0 runs all three.
func amplifierCost(p *Policy, text string, n int, enough time.Duration) time.Duration {
	in := strings.Repeat(text, n/len(text)+1)[:n]
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu := func() time.Duration {
		var ts syscall.Timespec
		_, _, _ = syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0)
		return time.Duration(ts.Nano())
	}
	best := time.Duration(math.MaxInt64)
	for range 3 {
		start := cpu()
		_, _, _ = p.Value("", in)
		best = min(best, cpu()-start)
		if best <= enough {
			break
		}
	}
	return best
}

// clockThreadCPUTime is Linux's CLOCK_THREAD_CPUTIME_ID.
const clockThreadCPUTime = 3

// TestAmplifiersBounded is the generator of the family "a trigger of one
// of the masker's readings, repeated": each trigger repeated to 256 KB
// must cost at most maxAmplification times clean text of that size (or
// 100 ms, what a small text's noise allows). "eyJ" cost 3.2 s (13 µs a
// byte) and "password=<a>" 3.2 s before they were bounded, "<i>eyJ" 22 s:
// hundreds to thousands of times clean text. The readings that are only
// heavy, not amplifying, run at 40–60 times clean text on a loaded
// machine (the clean text's few milliseconds gain less from the load
// than a reading's), so the bound is 100 times.
func TestAmplifiersBounded(t *testing.T) {
	n := 256 << 10
	if raceEnabled {
		n = 64 << 10 // ten times slower, and the bound is relative
	}
	const maxAmplification = 100
	p := newPolicy(t, "all")
	// The triggers are shared among one worker per core, each on a thread
	// of its own and timing its own clean text: the bound is relative to
	// clean text, which the race detector, a loaded machine and the other
	// worker slow alike.
	workers := min(runtime.GOMAXPROCS(0), len(amplifierTriggers))
	type result struct {
		worst, clean time.Duration
		trigger      string
	}
	results := make([]result, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			clean := amplifierCost(p, string(benchText(n, 1)), n, 0)
			bound := max(maxAmplification*clean, 100*time.Millisecond)
			res := result{clean: clean}
			for i := w; i < len(amplifierTriggers); i += workers {
				tr := amplifierTriggers[i]
				d := amplifierCost(p, tr, n, bound)
				if d > res.worst {
					res.worst, res.trigger = d, tr
				}
				if d > bound {
					t.Errorf("%q repeated to %d bytes: %v (clean text %v, bound %v)", tr, n, d, clean, bound)
				}
				if testing.Verbose() {
					t.Logf("%-30q %v", tr, d)
				}
			}
			results[w] = res
		}()
	}
	wg.Wait()
	worst := slices.MaxFunc(results, func(a, b result) int {
		return cmp.Compare(float64(a.worst)/float64(a.clean), float64(b.worst)/float64(b.clean))
	})
	t.Logf("%d triggers on %d threads, the worst %q %v against clean text's %v (%.1fx; a run within the bound is not repeated)",
		len(amplifierTriggers), workers, worst.trigger, worst.worst, worst.clean, float64(worst.worst)/float64(worst.clean))
}
