package httpgate

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
)

// BenchmarkAdmit measures the gateway's own work per request (identify,
// session, model, rule evaluation) with no recorder.
func BenchmarkAdmit(b *testing.B) {
	benchAdmit(b, nil)
}

// BenchmarkAdmitRecorded is BenchmarkAdmit with record.Recorder (discarding
// sink) recording the session and each decision.
func BenchmarkAdmitRecorded(b *testing.B) {
	r := record.New(discardSink{}, record.Options{AsyncOutput: true})
	defer r.Close()
	benchAdmit(b, r)
}

func benchAdmit(b *testing.B, rec gate.Recorder) {
	rs, err := gate.ParseRules("bench.yaml", []byte(benchRules))
	if err != nil {
		b.Fatal(err)
	}
	gw, err := New(Config{Gate: gate.New(gate.Config{Rules: rs, Recorder: rec}),
		Authenticator: gate.Tokens(map[string]gate.Identity{agentToken: agent})})
	if err != nil {
		b.Fatal(err)
	}
	defer gw.Close()
	b.ReportAllocs()
	defer reportCPU(b)()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest("GET", "http://api.example/v1/items?limit=10&page=2", nil)
			r.Header.Set("Authorization", "Bearer "+agentToken)
			r.Header.Set("User-Agent", "wrk")
			r.Header.Set("Accept", "application/json")
			w := httptest.NewRecorder()
			x := gw.admit(w, r.WithContext(context.Background()), "bench")
			if x == nil {
				b.Fatalf("refused: %d %s", w.Code, w.Body)
			}
			x.release()
		}
	})
}

// BenchmarkProxyRoundTrip sends requests through real loopback servers:
// client -> proxy -> upstream, for a bare httputil.ReverseProxy and the
// gated proxy (without and with the recorder, and with masking), in the
// same run. The gated proxy presents a credential upstream, as in
// BenchmarkWrk: its responses are searched for it. allocs/op and B/op
// include the client and the upstream.
func BenchmarkProxyRoundTrip(b *testing.B) {
	u, transport := benchUpstream(b)
	gated := func(rules string, sink benchSink) http.Handler {
		return benchGated(b, u, transport, BearerCredential(upstreamToken), rules, sink)
	}
	for _, tc := range []struct {
		name string
		h    http.Handler
	}{
		{"bare", &httputil.ReverseProxy{Transport: transport, Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(u) }}},
		{"gated-norec", gated(benchRules, noRecord)},
		{"gated", gated(benchRules, discarded)},
		{"gated-file", gated(benchRules, fileSink)},
		{"gated+mask", gated(benchRules+benchMaskRule, discarded)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			srv := httptest.NewServer(tc.h)
			defer srv.Close()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			b.ReportAllocs()
			b.SetParallelism(4)
			defer reportCPU(b)()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest("GET", srv.URL+"/v1/items", nil)
					req.Header.Set("Authorization", "Bearer "+agentToken)
					resp, err := client.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						b.Fatalf("status %d", resp.StatusCode)
					}
				}
			})
		})
	}
}
