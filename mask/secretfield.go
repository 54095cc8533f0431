package mask

// Names that hold secrets: a JSON key, SQL column or header that is one of
// SecretNames ("password", "api_key", "Authorization") has its whole scalar
// value masked by password_assignment, when the policy runs that detector.
// This is the structured form of "password=...": in a document the name
// and the value are separate strings, and neither alone looks like an
// assignment.

// secretName reports the index in p.dets of password_assignment when name
// names a secret, or -1.
func (p *Policy) secretName(name string) int {
	if p.assign < 0 || !IsSecretName(name) {
		return -1
	}
	return p.assign
}

// maskWhole masks all of v with detector i, as a finding of field.
func (p *Policy) maskWhole(i int, v []byte, field string, tl *tally) (out []byte, null bool) {
	if len(v) == 0 {
		return v, false
	}
	tl.add(p.dets[i].name, field, 1)
	st := p.strat[i]
	return st.apply(nil, v), st.kind == kindNull
}
