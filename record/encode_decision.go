package record

import "github.com/airlock-sdk/airlock/gate"

// The fields of gate.Decision, in the order and with the omissions of its
// struct tags.

func (e *encoder) decision(b []byte, d *gate.Decision) []byte {
	start := len(b)
	b = append(b, `{"id":`...)
	b = appendString(b, d.ID) // made by the gate (NewID)
	b = append(b, `,"action":`...)
	b = e.fixed(appendString(b, string(d.Action)), start+1)
	b = append(b, `,"rule":`...)
	b = appendString(b, d.Rule)
	b = optStr(b, `,"reason":`, d.Reason)
	b = optStrings(b, `,"rules":`, d.Rules)
	b = optStrings(b, `,"mask":`, d.Mask)
	b = optStrings(b, `,"labels":`, d.Labels)
	version := len(b)
	b = append(b, `,"rule_set_version":`...)
	b = e.fixed(appendString(b, d.RuleSetVersion), version)
	if len(d.Audit) > 0 {
		b = append(b, `,"audit":[`...)
		for i, a := range d.Audit {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"rule":`...)
			b = appendString(b, a.Rule)
			b = optStr(b, `,"action":`, string(a.Action))
			b = optStrings(b, `,"mask":`, a.Mask)
			b = optStr(b, `,"error":`, a.Error)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if d.Review != nil {
		b = append(b, `,"review":`...)
		b = e.reviewPolicy(b, d.Review)
	}
	b = optTrue(b, `,"reviewed":`, d.Reviewed)
	b = optStr(b, `,"approval_id":`, d.ApprovalID)
	b = optStrings(b, `,"review_rules":`, d.ReviewRules)
	b = optStr(b, `,"grant":`, d.Grant)
	b = optStrings(b, `,"errors":`, d.Errors)
	tail := len(b)
	b = optTrue(b, `,"fail_open":`, d.FailOpen)
	b = append(b, `,"time":`...)
	b = e.time(b, d.Time)
	b = optTrue(b, `,"cached":`, d.Cached)
	b = appendInt(b, `,"elapsed_ns":`, int64(d.Elapsed))
	return append(e.fixed(b, tail), '}')
}

func (e *encoder) reviewPolicy(b []byte, p *gate.ReviewPolicy) []byte {
	b = append(b, '{')
	start := len(b)
	b = optInt(b, `,"approvals":`, int64(p.Approvals))
	b = optInt(b, `,"denials":`, int64(p.Denials))
	b = optStrings(b, `,"reviewer_groups":`, p.ReviewerGroups)
	b = optStrings(b, `,"break_glass_groups":`, p.BreakGlassGroups)
	b = optTrue(b, `,"require_reason":`, p.RequireReason)
	b = optInt(b, `,"ttl":`, int64(p.TTL))
	b = optTrue(b, `,"require_displayable":`, p.RequireDisplayable)
	b = optTrue(b, `,"require_requester_reason":`, p.RequireRequesterReason)
	b = optInt(b, `,"max_grant":`, int64(p.MaxGrant))
	return closeObj(b, start)
}
