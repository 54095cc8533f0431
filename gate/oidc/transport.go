package oidc

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// fetcher is the transport under every request to the issuer. It reads
// each response whole, bounded in time and size, so a slow or hostile
// issuer cannot hold a key refresh forever or exhaust memory. Requests for
// the key set are throttled: within the refresh interval of the last
// fetch, the last good key set is served again instead of asking the
// issuer, so forged tokens naming unknown keys cannot make the gateway
// flood the issuer.
type fetcher struct {
	base     http.RoundTripper
	timeout  time.Duration
	interval time.Duration
	now      func() time.Time

	mu       sync.Mutex
	keysURL  string
	last     time.Time // last attempt to fetch the key set
	cached   []byte    // body of the last good key set
	cachedCT string    // its Content-Type
}

// setKeysURL names the URL whose fetches are throttled.
func (f *fetcher) setKeysURL(u string) {
	f.mu.Lock()
	f.keysURL = u
	f.mu.Unlock()
}

// RoundTrip implements http.RoundTripper.
func (f *fetcher) RoundTrip(req *http.Request) (*http.Response, error) {
	isKeys := false
	if req.Method == http.MethodGet {
		f.mu.Lock()
		if f.keysURL != "" && req.URL.String() == f.keysURL {
			isKeys = true
			if f.interval > 0 && !f.last.IsZero() && f.now().Sub(f.last) < f.interval {
				body, ct := f.cached, f.cachedCT
				f.mu.Unlock()
				if body == nil {
					return nil, fmt.Errorf("key set fetch failed less than %s ago; not retrying yet", f.interval)
				}
				return response(req, http.StatusOK, http.Header{"Content-Type": {ct}}, body), nil
			}
			f.last = f.now()
		}
		f.mu.Unlock()
	}

	ctx, cancel := context.WithTimeout(req.Context(), f.timeout)
	defer cancel()
	resp, err := f.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxFetchBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", req.URL.Redacted(), err)
	}
	if len(body) > maxFetchBytes {
		return nil, fmt.Errorf("response from %s is larger than %d bytes", req.URL.Redacted(), maxFetchBytes)
	}
	if isKeys && resp.StatusCode == http.StatusOK {
		f.mu.Lock()
		f.cached, f.cachedCT = body, resp.Header.Get("Content-Type")
		f.mu.Unlock()
	}
	return response(req, resp.StatusCode, resp.Header.Clone(), body), nil
}

// response builds a complete in-memory response to req.
func response(req *http.Request, code int, h http.Header, body []byte) *http.Response {
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", code, http.StatusText(code)),
		StatusCode:    code,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}
