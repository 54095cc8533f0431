package mask

import (
	"fmt"
	"sync"
	"unsafe"
)

// Policy masks data for one gate decision: the detectors and field rules it
// names, each with its strategy. It is safe for concurrent use. A nil
// *Policy masks nothing: every method passes data through unchanged.
type Policy struct {
	policyConfig
	fieldMemo
}

// policyConfig is what a policy reads and how it masks: everything but its
// memo. A policy derived from another (WithSecrets) starts from a copy of
// all of it, so a reading added to policies later is kept by derived ones
// too (a field-by-field copy once left out the spelled-out e-mail reading).
type policyConfig struct {
	e        *Engine
	dets     []*detDef
	strat    []*strategy // parallel to dets
	fields   []*fieldRule
	horizon  int           // longest candidate plus context, for the stream masker
	assign   int           // index of password_assignment in dets, or -1
	runDets  []runDetector // fed from one pass over digit runs
	runIDs   []int
	runs     runSet
	otherIDs []int // every other detector
	kwDet    []int // secretKeywords index -> index in dets, or -1; nil if none
	words    bool  // the e-mail detector is on: read spelled-out at signs
	literals []int // the literal detectors of WithSecrets, by index in dets
	// keyBlocks is the index in dets of private_key, which also reads
	// blocks of base64 lines (keybody.go), or -1.
	keyBlocks int
}

// Detectors lists the detector names the policy runs.
func (p *Policy) Detectors() []string {
	if p == nil {
		return nil
	}
	out := make([]string, len(p.dets))
	for i, d := range p.dets {
		out[i] = d.name
	}
	return out
}

var spanPool = sync.Pool{New: func() any { s := make([]span, 0, 16); return &s }}

var scanPool = sync.Pool{New: func() any { return new(scan) }}

// candidates runs every detector over t, and over its decoded and
// markup-free views when it holds escapes or markup (escape.go).
func (p *Policy) candidates(t []byte, final bool, out []span) []span {
	var cp codeProber
	out, kf := p.plainScan(t, final, out, &cp)
	if rd := p.readings(t, kf, &cp); rd.any() {
		out = p.viewCandidates(t, rd, final, out)
	}
	return out
}

// plainCandidates runs every detector over t as it is.
func (p *Policy) plainCandidates(t []byte, final bool, out []span) []span {
	out, _ = p.plainScan(t, final, out, nil)
	return out
}

// markupFreeCandidates is plainCandidates over a view with its markup
// stripped: the literals are not read there as words joined across the
// breaks a tag leaves (secretjoins.go), which one search over a whole
// document, where the markup may stand encoded, would not read either.
func (p *Policy) markupFreeCandidates(t []byte, final bool, out []span) []span {
	out, _ = p.plainScanOf(t, final, out, nil, true)
	return out
}

// kwFacts is what the keyword walk of plainScan learnt of a text beyond
// the secrets: whether it holds " dot " (any case), and whether it holds
// enough spelled digits for a list of them.
type kwFacts struct {
	known  bool // the walk ran: the policy has a keyword detector
	dot    bool
	digits int // whole words that spell a digit
	// seen holds the bytes of the text when seenOK: a detector learnt
	// them (a literal's), and readings reads its classes from them.
	seen   byteSet
	seenOK bool
}

// plainScan is plainCandidates; it also reports what the keyword walk
// learnt, and shows cp (when not nil) every word with a digit.
func (p *Policy) plainScan(t []byte, final bool, out []span, cp *codeProber) ([]span, kwFacts) {
	return p.plainScanOf(t, final, out, cp, false)
}

// plainScanOf is plainScan; with noWordJoins, the literals are not read as
// words joined (markupFreeCandidates).
func (p *Policy) plainScanOf(t []byte, final bool, out []span, cp *codeProber, noWordJoins bool) ([]span, kwFacts) {
	var kf kwFacts
	s := scanPool.Get().(*scan)
	*s = scan{t: t, final: final, eng: p.e, kw: s.kw[:0], noWordJoins: noWordJoins}
	for _, i := range p.otherIDs {
		out = p.dets[i].d.find(s, i, out)
	}
	if p.kwDet != nil {
		// One pass over the keyword hits serves every secret detector.
		kf.known = true
		for _, h := range s.keywords() {
			if h.id >= dotKeyword {
				if h.id == dotKeyword {
					kf.dot = true
				} else if !isAlnum(at(t, h.start-1)) && !isAlnum(at(t, h.end)) {
					kf.digits++
				}
				continue
			}
			id := p.kwDet[h.id]
			if id < 0 {
				continue
			}
			k := &secretKeywords[h.id]
			if k.exact && string(t[h.start:h.end]) != k.kw {
				continue
			}
			if sp, ok := k.match(s, h); ok {
				sp.det = id
				out = append(out, sp)
			}
		}
	}
	if p.keyBlocks >= 0 {
		out = findKeyBlocks(t, p.keyBlocks, out)
	}
	if len(p.runDets) > 0 {
		out = p.digitRuns(t, out, cp)
	}
	kf.seen, kf.seenOK = s.seen, s.seenOK
	s.t = nil
	if cap(s.kw) > 1<<16 {
		s.kw = nil
	}
	scanPool.Put(s)
	return out, kf
}

// maskText masks t with the detectors. It returns t itself (no copy) when
// nothing matched; null reports that a chosen match used the null strategy.
func (p *Policy) maskText(t []byte, field string, tl *tally) (out []byte, null bool, err error) {
	if len(t) > p.e.maxVal {
		return nil, false, fmt.Errorf("%w: value of %d bytes is above max_value_bytes %d", ErrLimit, len(t), p.e.maxVal)
	}
	if len(p.dets) == 0 {
		return t, false, nil
	}
	bp := spanPool.Get().(*[]span)
	defer func() { *bp = (*bp)[:0]; spanPool.Put(bp) }()
	c := resolve(t, dropCovered(t, p.candidates(t, true, (*bp)[:0])))
	*bp = c
	if len(c) == 0 {
		return t, false, nil
	}
	out = make([]byte, 0, len(t)+16*len(c))
	pos := 0
	for _, x := range c {
		if x.overlong {
			return nil, false, fmt.Errorf("%w: %s candidate at byte %d is longer than its bound", ErrLimit, p.dets[x.det].name, x.start)
		}
		out = append(out, t[pos:x.start]...)
		st := p.strat[x.det]
		out = st.apply(out, t[x.start:x.end])
		null = null || st.kind == kindNull
		pos = x.end
		tl.add(p.dets[x.det].name, field, 1)
	}
	out = append(out, t[pos:]...)
	return out, null, nil
}

// Value masks one value. field is "table.column" for SQL results, a header
// name for HTTP, or "". A field rule matching field masks the whole value
// whatever its content; otherwise the detectors mask what they find.
// With the null strategy the result is "" (a caller that can express NULL
// should check Findings and the strategy through FieldStrategy).
func (p *Policy) Value(field, value string) (string, []Finding, error) {
	if p == nil {
		return value, nil, nil
	}
	var tl tally
	if f := p.fieldFor(field); f != nil {
		if len(value) > p.e.maxVal {
			return "", nil, fmt.Errorf("%w: value of %d bytes is above max_value_bytes %d", ErrLimit, len(value), p.e.maxVal)
		}
		tl.add(f.name, field, 1)
		return string(p.e.strat[f.name].apply(nil, []byte(value))), tl.result(), nil
	}
	if len(value) > p.e.maxVal {
		return "", nil, fmt.Errorf("%w: value of %d bytes is above max_value_bytes %d", ErrLimit, len(value), p.e.maxVal)
	}
	if i := p.secretName(columnOf(field)); i >= 0 {
		out, _ := p.maskWhole(i, []byte(value), field, &tl)
		return string(out), tl.result(), nil
	}
	// The scanners only read t, so the string's bytes are used in place:
	// copying a large value would cost more than scanning it.
	out, _, err := p.maskText(unsafe.Slice(unsafe.StringData(value), len(value)), field, &tl)
	if err != nil {
		return "", nil, err
	}
	f := tl.result()
	if f == nil {
		return value, nil, nil
	}
	return string(out), f, nil
}

// FieldStrategy reports the strategy name of the field rule of this policy
// that masks field ("table.column" or a header name), or "" when none does.
// A SQL proxy uses it to send NULL for the null strategy.
func (p *Policy) FieldStrategy(field string) string {
	if p == nil {
		return ""
	}
	f := p.fieldFor(field)
	if f == nil {
		return ""
	}
	return [...]string{StrategyRedact, StrategyPartial, StrategyHash, StrategySameLength, StrategyNull}[p.e.strat[f.name].kind]
}

// columnOf returns the column of "table.column", or field itself.
func columnOf(field string) string {
	for i := len(field) - 1; i >= 0; i-- {
		if field[i] == '.' {
			return field[i+1:]
		}
	}
	return field
}

func (p *Policy) fieldFor(field string) *fieldRule {
	if field == "" || len(p.fields) == 0 {
		return nil
	}
	if f, ok := p.fieldMemo.get(field); ok {
		return f
	}
	var found *fieldRule
	for _, f := range p.fields {
		if f.matchField(field) {
			found = f
			break
		}
	}
	p.fieldMemo.put(field, found)
	return found
}

// digitRuns feeds every maximal run of ASCII digits to the numeric
// detectors. The built-in ones are called directly, behind the cheapest
// test that rules each out, because clean text has many short numbers
// (dates, counters) and an interface call per run and detector costs more
// than the tests.
//
// cp, when not nil, is shown each run, to look for code lists
// (codelists.go) in the same walk.
func (p *Policy) digitRuns(t []byte, out []span, cp *codeProber) []span {
	if cp != nil {
		cp.ran = true
	}
	r := &p.runs
	lo := r.card >= 0 || r.ssn >= 0 || r.phone >= 0 || r.iban >= 0
	next := nextDigit
	if lo {
		next = nextDigitOrHigh
	}
	if next(t, 0) == len(t) {
		return out // no digit (and no byte a look-alike digit starts)
	}
	var lb *looseBuf // from loosePool on first use
	defer func() {
		if lb != nil {
			loosePool.Put(lb)
		}
	}()
	for i := next(t, 0); i < len(t); i = next(t, i) {
		if c := t[i]; c >= 0x80 {
			// Only with loose scanning on: a look-alike digit may start a
			// group here.
			if c >= 0xC3 && c <= 0xD7 || c >= 0xE4 && c <= 0xE9 {
				// Latin, Greek, Cyrillic, Hebrew and CJK ideographs hold no
				// digit: skip the rune.
				i++
				for n := 0; n < 2 && i < len(t) && t[i]&0xC0 == 0x80; n++ {
					i++
				}
				continue
			}
			k, _, size := normRune(t, i)
			if k == nkDigit && !prevRuneIsDigit(t, i) {
				if lb == nil {
					lb = loosePool.Get().(*looseBuf)
				}
				out = p.loose(t, i, out, lb)
			}
			i += size
			continue
		}
		e := digitRunEnd(t, i)
		if cp != nil {
			cp.at(t, i, e)
		}
		n := e - i
		next := at(t, e)
		cardAt := false // the plain card scanner took a card starting here
		if r.card >= 0 && (n <= 19 && (n >= 13 || ((next == ' ' || next == '-') && isDigit(at(t, e+1)))) || n > 13) {
			k := len(out)
			out = cardDetector{}.onRun(t, i, e, r.card, out)
			cardAt = len(out) > k
		}
		if r.ssn >= 0 && (n == 9 || (n == 3 && (next == '-' || next == ' '))) {
			out = ssnDetector{}.onRun(t, i, e, r.ssn, out)
		}
		if r.phone >= 0 && (n == 3 || n == 1 || at(t, i-1) == '+') {
			k := len(out)
			out = phoneDetector{}.onRun(t, i, e, r.phone, out)
			if len(out) == k && n == 3 && (phoneOtherSep[next] || next == ' ' && phoneOtherSep[at(t, e+1)]) {
				out = phoneOtherSeps(t, i, r.phone, out)
			}
		}
		if r.ipv4 >= 0 && n <= 3 && next == '.' {
			out = ipv4Detector{}.onRun(t, i, e, r.ipv4, out)
		}
		if r.iban >= 0 && n >= 2 && i >= 2 && is(t[i-1], clUpper) {
			out = ibanDetector{}.onRun(t, i, e, r.iban, out)
		}
		// The loose scan is skipped where the plain scanner took a card
		// starting here: the loose candidate could only add groups, rarely.
		if lo && !cardAt && (n >= 13 || (looseNext[next] && looseNextGroup(t, e, n)) || at(t, i-1) >= 0x80) && looseTrigger(t, i, e, r.card >= 0, r.ssn >= 0) {
			if lb == nil {
				lb = loosePool.Get().(*looseBuf)
			}
			out = p.loose(t, i, out, lb)
		}
		for k, d := range r.other {
			out = d.onRun(t, i, e, r.otherIDs[k], out)
		}
		i = e
	}
	return out
}

// runSet holds the policy's index of each numeric detector, or -1.
type runSet struct {
	card, ssn, phone, ipv4, iban int
	other                        []runDetector
	otherIDs                     []int
}
