package record

import (
	"strings"
	"sync/atomic"

	"github.com/airlock-sdk/airlock/mask"
)

// nameVerdict is what the redactor decided of one name: whether it is a
// SensitiveHeaders header (mask.IsSecretHeader) and whether it matches
// the recorder's secret names (matchName).
type nameVerdict struct {
	name          string
	header, named bool
}

// nameVerdicts remembers the verdicts of the names met last, one slot per
// hash of a name, the later name taking the slot: header names, query
// parameters and body keys come again with every request of an agent,
// and a verdict costs a dozen case-folded comparisons and a pass of the
// name filter. A slot holds a name and both of its verdicts, computed
// together and never changed; a name is answered from a slot only when
// it is the slot's name, so the answer is the one computed for it (the
// secret names are fixed when the recorder is made).
type nameVerdicts struct {
	slots [256]atomic.Pointer[nameVerdict]
}

// maxVerdictName bounds the names nameVerdicts keeps (a copy each); a
// longer one is judged every time.
const maxVerdictName = 64

// verdict returns whether name is a SensitiveHeaders header and whether
// it matches the recorder's secret names.
func (r *redactor) verdict(name string) (header, named bool) {
	if len(name) > maxVerdictName {
		return mask.IsSecretHeader(name), r.matchName(name)
	}
	h := uint32(len(name))
	for i := 0; i < len(name); i++ {
		h = h*31 + uint32(name[i])
	}
	slot := &r.verdicts.slots[(h^h>>8)%uint32(len(r.verdicts.slots))]
	if v := slot.Load(); v != nil && v.name == name {
		return v.header, v.named
	}
	v := &nameVerdict{name: strings.Clone(name), header: mask.IsSecretHeader(name), named: r.matchName(name)}
	slot.Store(v)
	return v.header, v.named
}
