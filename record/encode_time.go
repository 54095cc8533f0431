package record

import (
	"sync/atomic"
	"time"
)

// maxFastTime is the last second appendUTC writes (9999-12-31T23:59:59Z):
// past it a year has five digits, which time.Time.MarshalJSON refuses.
const maxFastTime = 253402300799

// twoDigits holds "00" to "99", two bytes a number.
const twoDigits = "00010203040506070809101112131415161718192021222324252627282930313233343536373839" +
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879" +
	"8081828384858687888990919293949596979899"

// appendUTC appends t as t.AppendFormat(b, time.RFC3339Nano) does, for a
// time from 1970 to 9999 in a zone at offset zero then (UTC, or a local
// zone that is UTC, as time.Now reads it on most servers); ok false: b
// unchanged, the caller formats t itself. The record writes three or four such times an
// event, where AppendFormat's general layout walk costs several times
// this direct form. The date and time of day of the last second written
// are remembered (lastSecond): the times of one statement's events most
// often fall in one second, and only their fractions differ.
func appendUTC(b []byte, t time.Time) (_ []byte, ok bool) {
	sec := t.Unix()
	if sec < 0 || sec > maxFastTime {
		return b, false
	}
	if t.Location() != time.UTC {
		if _, offset := t.Zone(); offset != 0 {
			return b, false
		}
	}
	var buf [len("2006-01-02T15:04:05.999999999Z")]byte
	if last := lastSecond.Load(); last != nil && last.sec == sec {
		copy(buf[:], last.text[:])
	} else {
		next := &utcSecond{sec: sec}
		putSecond(&next.text, sec)
		lastSecond.Store(next)
		copy(buf[:], next.text[:])
	}
	return append(b, buf[:putFraction(&buf, t.Nanosecond())]...), true
}

// utcSecond is one second written as RFC 3339 without its fraction and
// zone ("2006-01-02T15:04:05"); never changed once made.
type utcSecond struct {
	sec  int64
	text [len("2006-01-02T15:04:05")]byte
}

// lastSecond is the second appendUTC wrote last.
var lastSecond atomic.Pointer[utcSecond]

// putSecond writes sec (0 to maxFastTime), a Unix time, as
// "2006-01-02T15:04:05".
func putSecond(buf *[len("2006-01-02T15:04:05")]byte, sec int64) {
	days, rem := uint64(sec)/86400, uint64(sec)%86400
	// The civil date of a day count (Howard Hinnant's civil_from_days),
	// in eras of 400 years from 0000-03-01.
	z := days + 719468
	era := z / 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	year := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day := doy - (153*mp+2)/5 + 1
	month := mp + 3
	if month > 12 {
		month -= 12
		year++
	}
	put2 := func(i int, v uint64) { buf[i], buf[i+1] = twoDigits[2*v], twoDigits[2*v+1] }
	put2(0, year/100)
	put2(2, year%100)
	buf[4] = '-'
	put2(5, month)
	buf[7] = '-'
	put2(8, day)
	buf[10] = 'T'
	put2(11, rem/3600)
	buf[13] = ':'
	put2(14, rem/60%60)
	buf[16] = ':'
	put2(17, rem%60)
}

// putFraction writes the fraction of a second of ns nanoseconds (none
// for 0, trailing zeros cut) and the zone "Z" after the second in buf,
// and returns the length of the whole.
func putFraction(buf *[len("2006-01-02T15:04:05.999999999Z")]byte, nanos int) int {
	put2 := func(i int, v uint64) { buf[i], buf[i+1] = twoDigits[2*v], twoDigits[2*v+1] }
	n := 19
	if ns := uint64(nanos); ns != 0 {
		buf[19] = '.'
		buf[20] = byte('0' + ns/1e8)
		ns %= 1e8
		put2(21, ns/1e6)
		put2(23, ns/1e4%100)
		put2(25, ns/100%100)
		put2(27, ns%100)
		n = 29
		for buf[n-1] == '0' {
			n--
		}
	}
	buf[n] = 'Z'
	return n + 1
}
