package mask_test

import (
	"bytes"
	"fmt"

	"github.com/airlock-sdk/airlock/mask"
)

func Example() {
	eng, err := mask.New(mask.Config{
		Strategies: map[string]string{"credit_card": "partial"},
	})
	if err != nil {
		panic(err)
	}
	pol, err := eng.Policy([]string{"credit_card", "email"})
	if err != nil {
		panic(err)
	}
	out, findings, err := pol.Value("orders.note", "paid with 4111 1111 1111 1111, receipt to ann@example.com")
	if err != nil {
		panic(err) // never fall back to the unmasked value
	}
	fmt.Println(out)
	fmt.Println(findings)
	// Output:
	// paid with **** **** **** 1111, receipt to [EMAIL]
	// [{credit_card orders.note 1} {email orders.note 1}]
}

func ExamplePolicy_JSON() {
	eng, _ := mask.New(mask.Config{
		Fields: []mask.FieldRule{{Name: "customer_name", JSONPaths: []string{"$.customers[*].name"}}},
	})
	pol, _ := eng.Policy([]string{"pii", "customer_name"})
	out, findings, err := pol.JSON([]byte(`{"customers":[{"name":"Ann","card":4111111111111111,"ip":"10.0.0.7"}]}`))
	if err != nil {
		panic(err)
	}
	fmt.Println(string(out))
	fmt.Println(findings)
	// Output:
	// {"customers":[{"name":"[CUSTOMER_NAME]","card":"[CREDIT_CARD]","ip":"[IPV4]"}]}
	// [{credit_card $.customers[*].card 1} {customer_name $.customers[*].name 1} {ipv4 $.customers[*].ip 1}]
}

func ExamplePolicy_NewWriter() {
	eng, _ := mask.New(mask.Config{})
	pol, _ := eng.Policy([]string{"secrets"})
	var out bytes.Buffer
	w := pol.NewWriter(&out)
	// A token split across two writes is still found.
	w.Write([]byte("export AWS_ACCESS_KEY_ID=AKIAIOSF"))
	w.Write([]byte("ODNN7EXAMPLE\n"))
	if err := w.Close(); err != nil {
		panic(err) // discard what was written: the stream is not complete
	}
	fmt.Print(out.String())
	fmt.Println(w.Findings())
	// Output:
	// export AWS_ACCESS_KEY_ID=[AWS_ACCESS_KEY_ID]
	// [{aws_access_key_id  1}]
}

func ExampleEngine_Policy() {
	eng, _ := mask.New(mask.Config{
		Detectors:  []mask.CustomDetector{{Name: "employee_id", Pattern: `EMP-\d{6}`}},
		HashKey:    []byte("0123456789abcdef0123456789abcdef"),
		Strategies: map[string]string{"employee_id": "hash"},
	})
	fmt.Println(eng.Has("ssn"), eng.Has("employee_id"), eng.Has("nope"))
	pol, _ := eng.Policy([]string{"employee_id"})
	a, _, _ := pol.Value("", "EMP-004211")
	b, _, _ := pol.Value("", "EMP-004211")
	fmt.Println(a == b, a != "EMP-004211")
	_, err := eng.Policy([]string{"nope"})
	fmt.Println(err)
	// Output:
	// true true false
	// true true
	// mask: unknown detector or field rule "nope"
}
