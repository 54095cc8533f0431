package httpgate

import "strings"

// bindableTypes are the media types, besides JSON and forms, that web
// frameworks bind to the same parameters a JSON body fills (ASP.NET and
// JAX-RS read XML, Spring's Jackson reads XML, YAML, CBOR, Smile and
// MessagePack, gRPC gateways read protobuf): a body in one of them holds
// names the rules cannot see. The rules reading names in the body, such a
// body is refused with 415 rather than judged as no body at all.
var bindableTypes = []string{
	"application/xml", "text/xml", "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml",
	"application/cbor", "application/msgpack", "application/x-msgpack", "application/vnd.msgpack",
	"application/x-jackson-smile", "application/protobuf", "application/x-protobuf", "application/bson",
}

// bindable reports whether a body of media type mt (lower case, without
// parameters) may be bound by an upstream as a JSON body is: one of
// bindableTypes or a structured syntax suffix of them (+xml, +yaml, +cbor).
func bindable(mt string) bool {
	for _, t := range bindableTypes {
		if mt == t {
			return true
		}
	}
	for _, suffix := range []string{"+xml", "+yaml", "+cbor"} {
		if strings.HasSuffix(mt, suffix) {
			return true
		}
	}
	return false
}

// readsBody reports whether the rules read any name in the body.
func (l nameLocs) readsBody() bool {
	for _, loc := range l {
		if loc&locBody != 0 {
			return true
		}
	}
	return false
}
