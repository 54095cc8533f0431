package mask

import (
	"bytes"
	"slices"
	"sync"
)

// layers are the views of one text: its decoded layers, its text under
// each markup reading, with its spelled-out at signs and dots read, read
// as UTF-16 or UTF-32, without its invisible characters, with its string
// joins removed, and its encoded runs decoded.
type layers struct {
	dec      [maxDecodeDepth]layer
	strip    [nReadings]layer
	words    layer
	decWords layer // words read in a decoded view
	budget   int   // decoded views left in this reading (maxViews)
	wide     layer
	decStrip layer // a decoded view without its markup
	inv      layer
	joins    layer
	enc      [maxUnwrap + 1]layer // the last one for tooDeep
	codes    [maxUnwrap + 1]layer
	codeSc   codeScratch
	decUn    unwrapLayers // unwrapped views of a decoded view
}

var layerPool = sync.Pool{New: func() any { return new(layers) }}

// readings says which views a text needs (see Policy.readings).
type readings struct {
	esc       notation
	markup    bool
	words     bool
	wide      bool
	invisible bool
	joins     bool
	// digitJoins: a join stands between two digits
	digitJoins bool
	encoded    bool
	codes      bool
}

func (r readings) any() bool {
	return r.esc != 0 || r.markup || r.words || r.wide || r.invisible || r.joins || r.encoded || r.codes
}

// readings finds the views t needs: one per escape notation it holds,
// without its markup, with spelled-out at signs (when the policy masks
// e-mail addresses), as UTF-16 and UTF-32 when it is not UTF-8 or holds a
// NUL, without its invisible characters, with its string joins removed,
// with its runs of base64, base32 or hex decoded, and with its code lists
// decoded; kf and cp are what the keyword and digit walks learnt.
func (p *Policy) readings(t []byte, kf kwFacts, cp *codeProber) readings {
	switch {
	case len(t) <= maxQuickText:
		return p.quickReadings(t, kf, cp)
	case kf.seenOK:
		// The bytes of t are known: their classes, at no cost.
		return p.quickReadingsOf(t, kf, cp, kf.seen.quickClasses())
	}
	return p.allReadings(t, kf, cp)
}

// allReadings is readings, each view searched for in turn.
func (p *Policy) allReadings(t []byte, kf kwFacts, cp *codeProber) readings {
	mk := hasMarkup(t)
	j, dj := hasJoins(t)
	return readings{
		esc:        hasEscape(t),
		markup:     mk,
		words:      p.words && (hasAtSigns(t, mk) || kf.dot || !kf.known && hasDotWord(t)),
		wide:       wideText(t),
		invisible:  hasInvisible(t),
		joins:      j,
		digitJoins: dj,
		encoded:    hasEncodedRun(t),
		codes:      codeListIn(t, kf.spelled(), cp),
	}
}

// viewCandidates runs the detectors over the views of t a client may read
// instead of its bytes: t with its escapes decoded, t without its markup,
// and that with its escapes decoded, t with its at signs and dots spelled
// out read, t as UTF-16 or UTF-32, t without its invisible characters, t
// with its string joins removed and t with its encoded runs decoded (each
// of these in turn decoded, read for words and without markup); matches
// come back as spans of t.
func (p *Policy) viewCandidates(t []byte, rd readings, final bool, out []span) []span {
	ls := layerPool.Get().(*layers)
	defer ls.release()
	out = p.derivedCandidates(ls, t, nil, nil, rd.esc, rd.words, final, out, true)
	out = p.rewrittenCandidates(ls, t, nil, nil, rd, final, out)
	if rd.wide {
		l := &ls.wide
		for _, v := range wideViews {
			if l.utf16(t, v.off, v.big) {
				out = p.wideCandidates(ls, l, final, out)
			}
		}
		for off := range 4 {
			for _, big := range [...]bool{false, true} {
				if l.utf32(t, off, big) {
					out = p.wideCandidates(ls, l, final, out)
				}
			}
		}
	}
	if rd.markup {
		out = p.markupCandidates(ls, t, nil, nil, final, out)
	}
	return out
}

// wideCandidates runs the detectors over l, a text read as UTF-16 or
// UTF-32, and over its views.
func (p *Policy) wideCandidates(ls *layers, l *layer, final bool, out []span) []span {
	out = p.viewOf(ls, l, final, out)
	j, dj := hasJoins(l.b)
	rd := readings{invisible: hasInvisible(l.b), joins: j, digitJoins: dj, encoded: hasEncodedRun(l.b), codes: hasCodeList(l.b)}
	return p.rewrittenCandidates(ls, l.b, l.st, l.en, rd, final, out)
}

// rewrittenCandidates runs the detectors over src (mapped to the original
// by st and en, nil for the original itself) without its invisible
// characters, with its string joins removed and with its encoded runs
// decoded, as rd asks, and over the views of each.
func (p *Policy) rewrittenCandidates(ls *layers, src []byte, st, en []int, rd readings, final bool, out []span) []span {
	if rd.invisible {
		out = longInvisible(src, st, en, out)
		ls.inv.dropInvisible(src, st, en)
		out = p.viewOf(ls, &ls.inv, final, out)
	}
	if rd.joins {
		l := &ls.joins
		l.readJoins(src, st, en, false)
		k := len(out)
		out = p.viewOf(ls, l, final, out)
		// Pieces of an encoding joined ("NDEx" + "MTEx").
		out = p.unwrapCandidates(ls, l.b, l.st, l.en, hasEncodedRun(l.b), false, 0, final, out)
		out = dropWidened(out, k)
	}
	if rd.digitJoins {
		ls.joins.readJoins(src, st, en, true)
		k := len(out)
		out = p.viewOf(ls, &ls.joins, final, out)
		out = dropWidened(out, k)
	}
	return p.unwrapCandidates(ls, src, st, en, rd.encoded, rd.codes, 0, final, out)
}

// dropWidened drops the candidates out[k:] of a joined reading that take
// in a candidate found before it (out[:k]) and more: a value found whole
// without joining is masked where it stands, and joining it to its
// neighbours would only widen the mask over them ({"name":"Ada",
// "email":"ada@example.com"} would lose its name, or its shape, to an
// address read as "Adaada@example.com"). A value split into pieces none
// of which is found alone is still read joined.
func dropWidened(out []span, k int) []span {
	kept := out[:k]
	for _, x := range out[k:] {
		widened := false
		for _, y := range out[:k] {
			if y.start >= x.start && y.end <= x.end && (y.start > x.start || y.end < x.end) {
				widened = true
				break
			}
		}
		if !widened {
			kept = append(kept, x)
		}
	}
	return kept
}

// unwrapCandidates runs the detectors over src with its encoded runs
// decoded (when encoded) and with its code lists decoded (when codes),
// and over the views of each, in turn unwrapped up to maxUnwrap deep.
func (p *Policy) unwrapCandidates(ls *layers, src []byte, st, en []int, encoded, codes bool, depth int, final bool, out []span) []span {
	if depth == maxUnwrap {
		return tooDeep(&ls.enc[depth], &ls.codes[depth], &ls.codeSc, src, st, en, encoded, codes, out)
	}
	if l := &ls.enc[depth]; encoded && l.readEncoded(src, st, en) {
		out = p.viewOf(ls, l, final, out)
		out = p.unwrapCandidates(ls, l.b, l.st, l.en, hasEncodedRun(l.b), hasCodeList(l.b), depth+1, final, out)
	}
	if l := &ls.codes[depth]; codes && l.readCodes(src, st, en, &ls.codeSc) {
		out = p.viewOf(ls, l, final, out)
		out = p.unwrapCandidates(ls, l.b, l.st, l.en, hasEncodedRun(l.b), hasCodeList(l.b), depth+1, final, out)
	}
	return out
}

// viewOf runs the detectors over the view l of the original text, and
// over its own views: decoded, read for words, and without its markup.
func (p *Policy) viewOf(ls *layers, l *layer, final bool, out []span) []span {
	k := len(out)
	out = p.plainCandidates(l.b, final, out)
	out = mapBack(out, k, l, p.horizon-ctxBefore, true)
	mk := hasMarkup(l.b)
	out = p.derivedCandidates(ls, l.b, l.st, l.en, hasEscape(l.b), p.words && hasAtWords(l.b, mk), final, out, true)
	if mk {
		out = p.markupCandidates(ls, l.b, l.st, l.en, final, out)
	}
	return out
}

// markupCandidates runs the detectors over src (mapped to the original by
// st and en, nil for the original itself) without its markup, under every
// reading, and over those views decoded.
func (p *Policy) markupCandidates(ls *layers, src []byte, st, en []int, final bool, out []span) []span {
	for r := range nReadings {
		l := &ls.strip[r]
		l.stripMapped(src, st, en, r)
		if ls.seen(r) {
			// No ambiguous markup: the same text as an earlier reading.
			continue
		}
		k := len(out)
		out = p.markupFreeCandidates(l.b, final, out)
		out = mapBack(out, k, l, p.horizon-ctxBefore, false)
		out = p.derivedCandidates(ls, l.b, l.st, l.en, hasEscape(l.b), false, final, out, false)
	}
	return out
}

// derivedCandidates runs the detectors over src (mapped to the original by
// st and en, nil for the original itself) with its escapes of each
// notation in esc decoded and, with words, its spelled-out at signs and
// dots read.
func (p *Policy) derivedCandidates(ls *layers, src []byte, st, en []int, esc notation, words, final bool, out []span, strict bool) []span {
	ls.budget = maxViews
	if esc != 0 {
		out = p.decodedCandidates(ls, src, st, en, esc, final, out, strict)
	}
	if words {
		out = p.wordCandidates(&ls.words, src, st, en, final, out, strict)
	}
	return out
}

// wordCandidates runs the detectors over src with its spelled-out at signs
// and dots read, in l.
func (p *Policy) wordCandidates(l *layer, src []byte, st, en []int, final bool, out []span, strict bool) []span {
	l.readWords(src, st, en)
	k := len(out)
	out = p.plainCandidates(l.b, final, out)
	return mapBack(out, k, l, p.horizon-ctxBefore, strict)
}

// seen reports whether reading r gave the text of an earlier reading.
func (ls *layers) seen(r reading) bool {
	for q := range r {
		a, b := &ls.strip[q], &ls.strip[r]
		if bytes.Equal(a.b, b.b) && slices.Equal(a.st, b.st) && slices.Equal(a.en, b.en) {
			return true
		}
	}
	return false
}

// release returns ls to the pool, without views grown above 1 MiB.
func (ls *layers) release() {
	for d := range ls.dec {
		if cap(ls.dec[d].b) > 1<<20 {
			ls.dec[d] = layer{}
		}
	}
	for _, l := range [...]*layer{&ls.words, &ls.wide, &ls.decWords, &ls.decStrip, &ls.inv, &ls.joins} {
		if cap(l.b) > 1<<20 {
			*l = layer{}
		}
	}
	for d := range maxUnwrap + 1 {
		for _, l := range [...]*layer{&ls.enc[d], &ls.codes[d], &ls.decUn.enc[d], &ls.decUn.codes[d]} {
			if cap(l.b) > 1<<20 {
				*l = layer{}
			}
		}
	}
	if cap(ls.codeSc.toks) > 1<<16 || cap(ls.decUn.sc.toks) > 1<<16 {
		ls.codeSc, ls.decUn.sc = codeScratch{}, codeScratch{}
	}
	for r := range ls.strip {
		if cap(ls.strip[r].b) > 1<<20 {
			ls.strip[r] = layer{}
		}
	}
	layerPool.Put(ls)
}

// mapBack turns out[k:], spans of the view l, into spans of the original
// text. A match whose original span exceeds bound fails closed when
// strict; without markup in between no match is that long unless escapes
// were padded. Through markup a match may be: its pieces of text are then
// masked one by one (fragments), so that no reading joins them again,
// and the markup between them is kept.
//
// Matches that overlap in the view (a keyword repeated, each hit matching
// to its bound: "eyJ<b>" repeated) are cut into fragments once: a match
// is cut only past the view bytes the matches of its detector before it
// were, and its first fragment extends the last one when they touch, as
// resolve would merge them.
func mapBack(out []span, k int, l *layer, bound int, strict bool) []span {
	n := k
	var frags []span
	var cut map[int][2]int // detector -> view bytes cut up to, its last fragment
	if !strict {
		slices.SortFunc(out[k:], bySpan)
	}
	for j := k; j < len(out); j++ {
		x := out[j]
		if x.end <= x.start {
			continue
		}
		vs, ve := x.start, x.end
		x.start, x.end = l.st[vs], l.en[ve-1]
		if x.end-x.start > bound {
			if !strict {
				if cut == nil {
					cut = map[int][2]int{}
				}
				c, seen := cut[x.det]
				if seen && vs < c[0] {
					if ve <= c[0] {
						continue
					}
					vs = c[0]
				}
				f := len(frags)
				frags = textRuns(frags, l, vs, ve, x.det)
				last := len(frags) - 1
				if seen && frags[f].start <= frags[c[1]].end {
					frags[c[1]].end = max(frags[c[1]].end, frags[f].end)
					frags = append(frags[:f], frags[f+1:]...)
					if last = len(frags) - 1; len(frags) == f {
						last = c[1]
					}
				}
				cut[x.det] = [2]int{ve, last}
				continue
			}
			x.overlong = true
		}
		out[n] = x
		n++
	}
	return append(out[:n], frags...)
}

// textRuns appends the spans of the original text that the view bytes
// vs..ve come from, one per run that is contiguous there.
func textRuns(dst []span, l *layer, vs, ve, det int) []span {
	start := l.st[vs]
	for k := vs; k < ve; k++ {
		if k+1 == ve || l.st[k+1] > l.en[k] {
			dst = append(dst, span{start: start, end: l.en[k], det: det})
			if k+1 < ve {
				start = l.st[k+1]
			}
		}
	}
	return dst
}

// rewrittenPlain runs the detectors over the decoded view l without its
// invisible characters, with its string joins removed and with its
// encoded runs and code lists unwrapped (those of its joins too), each in
// turn in rw or in un, but over no other view of those: the other layers
// may be in use.
func (p *Policy) rewrittenPlain(rw *layer, un *unwrapLayers, l *layer, final bool, out []span, strict bool) []span {
	if hasInvisible(l.b) {
		out = longInvisible(l.b, l.st, l.en, out)
		rw.dropInvisible(l.b, l.st, l.en)
		out = p.plainOf(rw, final, out, strict)
	}
	if j, d := hasJoins(l.b); j {
		rw.readJoins(l.b, l.st, l.en, false)
		out = p.plainOf(rw, final, out, strict)
		if hasEncodedRun(rw.b) {
			out = p.unwrapPlain(un, rw.b, rw.st, rw.en, 0, final, out, strict)
		}
		if d {
			rw.readJoins(l.b, l.st, l.en, true)
			out = p.plainOf(rw, final, out, strict)
		}
	}
	return p.unwrapPlain(un, l.b, l.st, l.en, 0, final, out, strict)
}

// plainOf runs the detectors over the view v.
func (p *Policy) plainOf(v *layer, final bool, out []span, strict bool) []span {
	k := len(out)
	out = p.plainCandidates(v.b, final, out)
	return mapBack(out, k, v, p.horizon-ctxBefore, strict)
}

// unwrapLayers are the layers of unwrapPlain.
type unwrapLayers struct {
	enc, codes [maxUnwrap + 1]layer // the last one for tooDeep
	sc         codeScratch
}

// unwrapPlain runs the detectors over src with its encoded runs decoded
// and with its code lists decoded, in turn unwrapped up to maxUnwrap
// deep, but over no other view of those.
func (p *Policy) unwrapPlain(un *unwrapLayers, src []byte, st, en []int, depth int, final bool, out []span, strict bool) []span {
	if depth == maxUnwrap {
		return tooDeep(&un.enc[depth], &un.codes[depth], &un.sc, src, st, en, hasEncodedRun(src), hasCodeList(src), out)
	}
	if l := &un.enc[depth]; hasEncodedRun(src) && l.readEncoded(src, st, en) {
		out = p.plainOf(l, final, out, strict)
		out = p.unwrapPlain(un, l.b, l.st, l.en, depth+1, final, out, strict)
	}
	if l := &un.codes[depth]; hasCodeList(src) && l.readCodes(src, st, en, &un.sc) {
		out = p.plainOf(l, final, out, strict)
		out = p.unwrapPlain(un, l.b, l.st, l.en, depth+1, final, out, strict)
	}
	return out
}
