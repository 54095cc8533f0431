package httpgate

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// memTransport answers every request with benchDoc, in memory: the
// handler benchmarks measure the proxies' own work per request, without
// sockets, so that their figures are stable on a shared machine.
type memTransport struct{}

func (memTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return docTransport(benchDoc).RoundTrip(r)
}

// docTransport answers every request with its document, in memory.
type docTransport string

func (d docTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	return &http.Response{
		StatusCode:    200,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/json"}, "Content-Length": {strconv.Itoa(len(d))}},
		Body:          io.NopCloser(strings.NewReader(string(d))),
		ContentLength: int64(len(d)),
		Request:       r,
	}, nil
}

// distinctDoc is benchDoc's shape with no value repeated but the keys
// (and a few one-letter tags): the masker remembers the texts of a
// document it found clean, and benchDoc repeats every one.
func distinctDoc() string {
	words := []string{"anchor", "bolt", "crank", "dowel", "easel", "flange", "gasket", "hinge",
		"ingot", "joist", "knob", "lever", "mallet", "nozzle", "oar"}
	var b strings.Builder
	b.WriteString(`{"items":[`)
	for i, w := range words {
		fmt.Fprintf(&b, `{"id":%d,"name":"%s %d","price":%d.%02d,"tags":["%c","%s"]},`,
			12345+7*i, w, i, 3+i, 17*i%100, 'a'+i, words[len(words)-1-i][:3])
	}
	b.WriteString(`{"id":0}]}`)
	return b.String()
}

// BenchmarkHandler serves requests through the bare httputil.ReverseProxy
// and the gated proxy (no recorder, recorder, recorder and masking) with
// an in-memory upstream and response writer: the difference between bare
// and gated is the gateway's, the gate's and the recorder's work per
// request. Run it with -cpu 1 for stable figures:
//
//	go test -run '^$' -bench Handler -cpu 1 -count 5 ./protocols/httpgate/
func BenchmarkHandler(b *testing.B) {
	u, _ := url.Parse("http://upstream.example")
	gated := func(rules string, sink benchSink) http.Handler {
		return benchGated(b, u, memTransport{}, BearerCredential(upstreamToken), rules, sink)
	}
	for _, tc := range []struct {
		name string
		h    http.Handler
	}{
		{"bare", &httputil.ReverseProxy{Transport: memTransport{}, Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(u) }}},
		{"gated-norec", gated(benchRules, noRecord)},
		{"gated", gated(benchRules, discarded)},
		{"gated-file", gated(benchRules, fileSink)},
		{"gated+mask", gated(benchRules+benchMaskRule, discarded)},
		{"gated+mask-distinct", benchGated(b, u, docTransport(distinctDoc()), BearerCredential(upstreamToken), benchRules+benchMaskRule, discarded)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				r := httptest.NewRequest("GET", "http://proxy.example/v1/items", nil)
				r.Header.Set("Authorization", "Bearer "+agentToken)
				r.Header.Set("User-Agent", "wrk")
				w := httptest.NewRecorder()
				tc.h.ServeHTTP(w, r)
				if w.Code != 200 {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}

// reportCPU starts counting the CPU time of the process (every goroutine:
// the recorder's, the garbage collector's) and returns the func that
// reports it per operation as cpu-ns/op: on a shared machine it varies
// far less than ns/op, which counts time spent waiting for a core.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	}
}

// cpuTime is the user and system CPU time of the process, in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
