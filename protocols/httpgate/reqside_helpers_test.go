package httpgate

import (
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
)

// received is one request as a real upstream (or the handler behind the
// middleware) received it.
type received struct {
	method string
	url    *url.URL
	header http.Header
	body   []byte
}

// recorder is an upstream that keeps every request it receives.
type recorder struct {
	mu   sync.Mutex
	reqs []received
}

func (u *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	u.mu.Lock()
	u.reqs = append(u.reqs, received{r.Method, r.URL, r.Header.Clone(), b})
	u.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, "ok")
}

// take returns the requests received since the last call.
func (u *recorder) take() []received {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := u.reqs
	u.reqs = nil
	return out
}

// gatedServers is an env under rules whose proxy and middleware both lead
// to one recorder, by server name ("proxy", "middleware").
func gatedServers(t *testing.T, rules string) (*env, *recorder, map[string]*httptest.Server) {
	t.Helper()
	return gatedServersMutated(t, rules, nil)
}

// gatedServersMutated is gatedServers with the gateway's Config changed
// by mutate (nil: unchanged).
func gatedServersMutated(t *testing.T, rules string, mutate func(*Config)) (*env, *recorder, map[string]*httptest.Server) {
	t.Helper()
	e := newEnvWith(t, gate.Hold, rules, nil, mutate)
	up := &recorder{}
	upSrv := httptest.NewServer(up)
	t.Cleanup(upSrv.Close)
	u, _ := url.Parse(upSrv.URL)
	ph, err := e.gw.Proxy(ProxyConfig{Upstream: u, Credential: BearerCredential(upstreamToken)})
	if err != nil {
		t.Fatal(err)
	}
	proxy := httptest.NewServer(ph)
	mw := httptest.NewServer(e.gw.Middleware(up))
	t.Cleanup(func() { proxy.Close(); mw.Close() })
	return e, up, map[string]*httptest.Server{"proxy": proxy, "middleware": mw}
}

// newRand returns a generator seeded from the test's name, so that a
// failure repeats.
func newRand(t *testing.T) *rand.Rand {
	var seed uint64
	for _, c := range t.Name() {
		seed = seed*31 + uint64(c)
	}
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
}

// pick returns one of list at random.
func pick[T any](rng *rand.Rand, list []T) T { return list[rng.IntN(len(list))] }
