package httpgate

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
)

// benchSink is where the benchmarks' gated proxies record.
type benchSink int

const (
	noRecord benchSink = iota
	// discardSink's events are written by the recorder's writer goroutine
	// (a sink the recorder does not know as quick), then dropped.
	discarded
	// A record.File in a temporary directory with the default durability
	// ("write"): what airlock serve records to; the caller of a decision
	// writes it (see record.Recorder).
	fileSink
)

// discardSink is a record.Sink that drops batches: the benchmark measures
// the recorder's redaction, chaining and encoding, not a disk.
type discardSink struct{}

func (discardSink) Write(context.Context, []record.Event) error { return nil }
func (discardSink) Close() error                                { return nil }

const benchRules = `
default: deny
rules:
  - name: read-api
    when: http.method == "GET" && http.path.startsWith("/v1/")
    action: allow
  - name: no-admin
    when: http.path.startsWith("/admin")
    action: deny
`

const benchMaskRule = `
  - name: mask-pii
    when: request.protocol == "http"
    mask: [credit_card, email]
`

// benchDoc is the JSON document the benchmarks' upstream answers with.
var benchDoc = `{"items":[` + strings.Repeat(`{"id":12345,"name":"widget","price":9.99,"tags":["a","b"]},`, 15) + `{"id":0}]}`

// benchUpstream serves benchDoc until the benchmark ends, and returns its
// URL and an upstream transport with enough idle connections for the
// benchmarks' concurrency.
func benchUpstream(b *testing.B) (*url.URL, *http.Transport) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(benchDoc))
	}))
	b.Cleanup(up.Close)
	u, _ := url.Parse(up.URL)
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 256
	return u, transport
}

// benchGated returns the gated reverse proxy to u over transport, with
// rules, presenting cred upstream, and recording into a discarding sink
// when recorded.
func benchGated(b testing.TB, u *url.URL, transport http.RoundTripper, cred Credential, rules string, sink benchSink) http.Handler {
	rs, err := gate.ParseRules("bench.yaml", []byte(rules))
	if err != nil {
		b.Fatal(err)
	}
	var rec gate.Recorder
	if sink != noRecord {
		var s record.Sink = discardSink{}
		if sink == fileSink {
			f, err := record.OpenFile(filepath.Join(b.TempDir(), "record.jsonl"), record.FileOptions{MaxSize: -1})
			if err != nil {
				b.Fatal(err)
			}
			s = f
		}
		r := record.New(s, record.Options{AsyncOutput: true})
		b.Cleanup(func() { r.Close() })
		rec = r
	}
	gw, err := New(Config{
		Gate:          gate.New(gate.Config{Rules: rs, Recorder: rec}),
		Authenticator: gate.Tokens(map[string]gate.Identity{agentToken: agent}),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { gw.Close() })
	h, err := gw.Proxy(ProxyConfig{Upstream: u, Credential: cred, Transport: transport})
	if err != nil {
		b.Fatal(err)
	}
	return h
}

// BenchmarkWrk runs wrk against a bare httputil.ReverseProxy (as configured
// by default, and with the gated proxy's buffer pool) and the gated reverse
// proxy in front of the same upstream, alternating, and reports the median
// requests per second of each and their ratios. Run it with
//
//	go test -run '^$' -bench Wrk -benchtime 1x ./protocols/httpgate/
func BenchmarkWrk(b *testing.B) {
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		b.Skip("wrk not installed")
	}
	// Both proxies get the same upstream transport.
	u, transport := benchUpstream(b)
	bare := httptest.NewServer(&httputil.ReverseProxy{Transport: transport, Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(u) }})
	defer bare.Close()
	// The bare proxy given the buffer pool the gated one uses: the fairest
	// baseline (a default ReverseProxy allocates 32 KiB per response).
	barePool := httptest.NewServer(&httputil.ReverseProxy{Transport: transport, BufferPool: &bufPool{},
		Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(u) }})
	defer barePool.Close()

	gated := func(rules string, sink benchSink) *httptest.Server {
		srv := httptest.NewServer(benchGated(b, u, transport, BearerCredential(upstreamToken), rules, sink))
		b.Cleanup(srv.Close)
		return srv
	}
	targets := []struct {
		name string
		srv  *httptest.Server
	}{
		{"bare", bare},
		{"bare+pool", barePool},
		{"gated-norec", gated(benchRules, noRecord)},
		{"gated", gated(benchRules, discarded)},
		{"gated-file", gated(benchRules, fileSink)},
		{"gated+mask", gated(benchRules+benchMaskRule, discarded)},
	}
	// WRK_TARGETS (comma-separated names) keeps the bare proxies and the named targets
	// only: a CPU profile of one gated proxy under load.
	if only := os.Getenv("WRK_TARGETS"); only != "" {
		targets = slices.DeleteFunc(targets, func(tg struct {
			name string
			srv  *httptest.Server
		}) bool {
			return !strings.HasPrefix(tg.name, "bare") && !slices.Contains(strings.Split(only, ","), tg.name)
		})
	}
	rps := map[string][]float64{}
	cpu := map[string][]float64{} // CPU µs of this process per request
	reqRE := regexp.MustCompile(`(\d+) requests in`)
	lat := map[string][]string{}
	rpsRE := regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	latRE := regexp.MustCompile(`Latency\s+(\S+)`)
	rounds, dur := 5, "3s"
	if v, err := strconv.Atoi(os.Getenv("WRK_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	if v := os.Getenv("WRK_DURATION"); v != "" {
		dur = v
	}
	for round := 0; round < rounds; round++ {
		// Every other round runs the targets in reverse: a target that
		// always ran after another would carry what that one left (a
		// heap to collect, a warm or cold cache) into its own figures.
		order := slices.Clone(targets)
		if round%2 == 1 {
			slices.Reverse(order)
		}
		for _, tg := range order {
			var before, after syscall.Rusage
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &before)
			out, err := exec.Command(wrk, "-t2", "-c32", "-d"+dur, "--latency", "-H", "Authorization: Bearer "+agentToken,
				tg.srv.URL+"/v1/items").CombinedOutput()
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &after)
			if err != nil {
				b.Fatalf("wrk: %v\n%s", err, out)
			}
			if m := reqRE.FindStringSubmatch(string(out)); m != nil {
				n, _ := strconv.ParseFloat(m[1], 64)
				used := time.Duration(after.Utime.Nano() - before.Utime.Nano() + after.Stime.Nano() - before.Stime.Nano())
				cpu[tg.name] = append(cpu[tg.name], float64(used.Microseconds())/n)
			}
			if strings.Contains(string(out), "Non-2xx") {
				b.Fatalf("%s: non-2xx responses:\n%s", tg.name, out)
			}
			m := rpsRE.FindStringSubmatch(string(out))
			if m == nil {
				b.Fatalf("no Requests/sec in:\n%s", out)
			}
			v, _ := strconv.ParseFloat(m[1], 64)
			rps[tg.name] = append(rps[tg.name], v)
			if l := latRE.FindStringSubmatch(string(out)); l != nil {
				lat[tg.name] = append(lat[tg.name], l[1])
			}
		}
	}
	median := func(v []float64) float64 { s := slices.Clone(v); slices.Sort(s); return s[len(s)/2] }
	base, basePool := median(rps["bare"]), median(rps["bare+pool"])
	fmt.Printf("wrk -t2 -c32 -d%s, %d rounds, targets alternating (order reversed every other round); upstream JSON body %d bytes\n", dur, rounds, len(benchDoc))
	for _, tg := range targets {
		m := median(rps[tg.name])
		// Paired ratios: each round measures every target back to back,
		// which cancels some of the drift of a shared machine.
		var paired []float64
		for i, v := range rps[tg.name] {
			paired = append(paired, v/rps["bare"][i])
		}
		b.ReportMetric(m, tg.name+"-req/s")
		c := median(cpu[tg.name])
		fmt.Printf("%-12s median %8.0f req/s  ratio of medians %.3f (to bare+pool %.3f)  median paired ratio %.3f  runs %.0f  mean latency %v\n",
			tg.name, m, m/base, m/basePool, median(paired), rps[tg.name], lat[tg.name])
		fmt.Printf("%-12s CPU per request (upstream + proxy, this process) median %.1f µs  capacity ratio %.3f  runs %.1f\n",
			tg.name, c, median(cpu["bare"])/c, cpu[tg.name])
	}
}
