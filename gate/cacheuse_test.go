package gate

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"
)

// textStream gives requests from g whose command (and statement text) is,
// by phases of phase requests, new every time (literals written inline),
// taken from the last few requests half of the time, or either at random:
// the cache goes from paying to not paying and back, and its partitions in
// and out of rests.
type textStream struct {
	g     *requestGen
	phase int
	n     int
	last  []*Request
}

func (s *textStream) next() *Request {
	s.n++
	fresh := false
	switch s.n / s.phase % 3 {
	case 0:
		fresh = true
	case 2:
		fresh = s.g.flip()
	}
	if !fresh && len(s.last) > 0 && s.g.flip() {
		return s.last[s.g.r.IntN(len(s.last))]
	}
	req := s.g.request()
	if s.g.flip() {
		req = s.g.mutate(req)
	}
	if fresh {
		req.Command = fmt.Sprintf("%s -- %d", req.Command, s.n)
	}
	if req.SQL != nil {
		st := req.SQL.Statements[0]
		st.Text = req.Command
		req.SQL = &SQL{Statements: []SQLStatement{st}}
	}
	if s.g.r.IntN(3) == 0 {
		req.Session.stats.countRequest(time.Now())
	}
	if len(s.last) < 8 {
		s.last = append(s.last, req)
	} else {
		s.last[s.g.r.IntN(len(s.last))] = req
	}
	return req
}

// equalDecisions reports whether two decisions of one request agree in
// every field but timing and whether the cache served them.
func equalDecisions(a, b *Decision) bool {
	return reflect.DeepEqual(decisionView(a), decisionView(b)) && (a.Masker == nil) == (b.Masker == nil)
}

// restingRules compiles src with the decision cache, its rests shortened to
// a few decisions so a test goes through many.
func restingRules(t *testing.T, src string, opts ...RuleOption) *RuleSet {
	rs, err := ParseRules("rest.yaml", []byte(src), opts...)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range append([]*partition{rs.anyPart}, slices.Collect(maps.Values(rs.parts))...) {
		p.use.setSizes(8, 32)
	}
	return rs
}

// A decision is the same whether the cache serves it, misses, or rests:
// on a stream that goes from new texts to repeated ones and back, every
// decision of rule sets with holds, denies, audit rules, masks, and rules
// reading the identity, the time and the session's counters equals one
// with no cache and no native closures, one goroutine at a time and many
// at once.
func TestDecisionCacheRestEqualsFresh(t *testing.T) {
	for name, src := range map[string]string{"native": nativeCacheRules(4, true), "cel": cacheTestRules} {
		t.Run(name, func(t *testing.T) {
			var opts []RuleOption
			if name == "cel" {
				opts = append(opts, withoutNative()) // every rule cached, none compiled
			}
			fresh, err := ParseRules("rest.yaml", []byte(src), WithoutDecisionCache(), withoutNative())
			if err != nil {
				t.Fatal(err)
			}
			cached := restingRules(t, src, opts...)
			pg := cached.partitionFor(ProtocolPostgres)
			seed := uint64(time.Now().UnixNano())
			s := &textStream{g: newRequestGen(seed), phase: 150}
			ctx := context.Background()
			var hits, rested, rests int
			wasResting := false
			for i := range 3000 {
				req := s.next()
				resting := pg.use.resting.Load() > 0
				if req.Protocol == ProtocolPostgres && resting {
					rested++
				}
				if resting && !wasResting {
					rests++
				}
				wasResting = resting
				a, b := cached.Decide(ctx, req), fresh.Decide(ctx, req)
				if a.Cached {
					hits++
				}
				if !equalDecisions(a, b) {
					t.Fatalf("seed %d, request %d (%s %q, resting %v): cached %+v\nfresh %+v", seed, i, req.Protocol, req.Command, resting, decisionView(a), decisionView(b))
				}
			}
			if hits < 300 || rested < 100 || rests < 5 {
				t.Fatalf("seed %d: %d hits, %d postgres requests decided resting, %d rests: the stream does not exercise both paths", seed, hits, rested, rests)
			}
			var wg sync.WaitGroup
			errs := make(chan string, 4)
			for w := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					s := &textStream{g: newRequestGen(seed + uint64(w) + 1), phase: 40}
					for i := range 600 {
						req := s.next()
						if a, b := cached.Decide(ctx, req), fresh.Decide(ctx, req); !equalDecisions(a, b) {
							errs <- fmt.Sprintf("seed %d, goroutine %d, request %d (%s %q): cached %+v\nfresh %+v", seed, w, i, req.Protocol, req.Command, decisionView(a), decisionView(b))
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for e := range errs {
				t.Fatal(e)
			}
		})
	}
}

// At its real sizes, the cache soon rests while every text is new, keying
// (and storing) fewer than one request in twenty, and serves again within
// a rest and two windows once one text repeats.
func TestDecisionCacheRests(t *testing.T) {
	rs, err := ParseRules("rest.yaml", []byte(nativeCacheRules(4, true)))
	if err != nil {
		t.Fatal(err)
	}
	g := newRequestGen(1)
	req := g.request()
	for req.Protocol != ProtocolPostgres {
		req = g.request()
	}
	ctx := context.Background()
	decide := func(text string) bool {
		req.Command = text
		return rs.Decide(ctx, req).Cached
	}
	const n = 8 * cacheUseMaxRest
	for i := range n {
		decide(fmt.Sprint("select ", i))
	}
	if keyed := len(rs.cache.m); keyed > n/20 {
		t.Fatalf("%d new texts: %d were keyed and stored, want fewer than %d", n, keyed, n/20)
	}
	for range cacheUseMaxRest + 2*cacheUseWindow {
		if decide("select 1") {
			return
		}
	}
	t.Fatal("a repeated text is never served from the cache after a rest")
}
