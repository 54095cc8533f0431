package mask

// ssnDetector finds US Social Security numbers written AAA-GG-SSSS,
// AAA GG SSSS or AAAGGSSSS, and keeps those the SSA could issue: area not
// 000, 666 or 900-999; group not 00; serial not 0000; and not the numbers
// known from advertising (078-05-1120, 219-09-9999).
type ssnDetector struct{}

func (ssnDetector) maxLen() int { return looseMaxLen } // the loose scanner (loose.go) bounds every candidate

func (d ssnDetector) find(s *scan, id int, out []span) []span { return findRuns(d, s, id, out) }

func (ssnDetector) onRun(t []byte, start, end, id int, out []span) []span {
	switch end - start {
	case 9:
		if ssnValid(t[start:end]) {
			out = append(out, span{start: start, end: end, det: id})
		}
	case 3:
		sep := at(t, end)
		if sep != '-' && sep != ' ' {
			return out
		}
		g := end + 1
		if digitRunEnd(t, g) != g+2 || at(t, g+2) != sep {
			return out
		}
		sn := g + 3
		if digitRunEnd(t, sn) != sn+4 {
			return out
		}
		var d [9]byte
		copy(d[:3], t[start:end])
		copy(d[3:5], t[g:g+2])
		copy(d[5:], t[sn:sn+4])
		if ssnValid(d[:]) {
			out = append(out, span{start: start, end: sn + 4, det: id})
		}
	}
	return out
}

// ssnValid checks nine ASCII digits.
func ssnValid(d []byte) bool {
	area := string(d[:3])
	switch {
	case area == "000", area == "666", d[0] == '9':
		return false
	case d[3] == '0' && d[4] == '0':
		return false
	case string(d[5:]) == "0000":
		return false
	case string(d) == "078051120", string(d) == "219099999":
		return false
	}
	return true
}
