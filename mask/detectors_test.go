package mask

import (
	"strings"
	"testing"
)

// detects runs one detector over in and returns the masked text.
func detect(t *testing.T, name, in string) string {
	t.Helper()
	e, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.Policy([]string{name})
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := p.Value("", in)
	if err != nil {
		t.Fatalf("%s(%q): %v", name, in, err)
	}
	return out
}

type detCase struct {
	in, want string
}

func runDetCases(t *testing.T, name string, cases []detCase) {
	t.Helper()
	for _, c := range cases {
		if got := detect(t, name, c.in); got != c.want {
			t.Errorf("%s(%q) = %q, want %q", name, c.in, got, c.want)
		}
	}
}

func TestCreditCard(t *testing.T) {
	runDetCases(t, "credit_card", []detCase{
		{"4111111111111111", "[CREDIT_CARD]"},                  // Visa 16
		{"4222222222222", "[CREDIT_CARD]"},                     // Visa 13
		{"card: 4111 1111 1111 1111.", "card: [CREDIT_CARD]."}, // spaces
		{"4111-1111-1111-1111", "[CREDIT_CARD]"},               // dashes
		{"5555555555554444", "[CREDIT_CARD]"},                  // Mastercard
		{"2223003122003222", "[CREDIT_CARD]"},                  // Mastercard 2-series
		{"3782 822463 10005", "[CREDIT_CARD]"},                 // Amex 4-6-5
		{"371449635398431", "[CREDIT_CARD]"},                   // Amex
		{"6011111111111117", "[CREDIT_CARD]"},                  // Discover
		{"6011000990139424", "[CREDIT_CARD]"},                  // Discover
		{"30569309025904", "[CREDIT_CARD]"},                    // Diners 14
		{"3530111333300000", "[CREDIT_CARD]"},                  // JCB
		{"6200000000000005", "[CREDIT_CARD]"},                  // UnionPay
		{"ref 12 4111 1111 1111 1111", "ref 12 [CREDIT_CARD]"}, // leading group
		{"a4111111111111111b", "a[CREDIT_CARD]b"},              // letters are boundaries
		{"4111111111111112", "4111111111111112"},               // bad Luhn
		{"1234567812345670", "[CREDIT_CARD]"},                  // Luhn ok, no network, but 234567812345670... holds a card window (gluedCard)
		{"41111111111111111", "[CREDIT_CARD]"},                 // a card glued to a digit (gluedCard)
		{"94111111111111111", "[CREDIT_CARD]"},                 // glued digit (gluedCard)
		{"1234567812345678", "1234567812345678"},               // no card window
		{"4111111111111111 1", "[CREDIT_CARD] 1"},              // a valid run of groups inside a longer one
		{"4111--1111-1111-1111", "[CREDIT_CARD]"},              // up to looseMaxGap separators (loose.go)
		{"4111----1111-1111-1111", "4111----1111-1111-1111"},   // four is too many
		{"order 2024-01-15 total 1500", "order 2024-01-15 total 1500"},
		{"0000000000000000", "0000000000000000"},
		{"tel 4111111111111111111111", "tel [CREDIT_CARD]"}, // 22 digits: a card glued (gluedCard)
	})
}

func TestLuhn(t *testing.T) {
	ok := func(s string) bool {
		d := make([]byte, len(s))
		for i := range s {
			d[i] = s[i] - '0'
		}
		return luhnValid(d)
	}
	for _, s := range []string{"79927398713", "4111111111111111", "0"} {
		if !ok(s) {
			t.Errorf("luhn(%s) = false", s)
		}
	}
	for _, s := range []string{"79927398710", "4111111111111121", "1"} {
		if ok(s) {
			t.Errorf("luhn(%s) = true", s)
		}
	}
}

func TestEmail(t *testing.T) {
	runDetCases(t, "email", []detCase{
		{"ann@example.com", "[EMAIL]"},
		{"mail ann.lee+tag@mail.example.co.uk.", "mail [EMAIL]."},
		{"<first_last-1@sub-domain.example.org>", "<[EMAIL]>"},
		{"..ann@example.com", "..[EMAIL]"},
		{"user@localhost", "user@localhost"},
		{"a@b.c", "a@b.c"},
		{"@example.com", "@example.com"},
		{"ann@-bad.com", "ann@-bad.com"},
		{"ann@example.123", "ann@example.123"},
		{"git@github.com:org/repo", "git@github.com:org/repo"}, // a git remote (hostspec.go)
		{"ann@github.com:org/repo", "[EMAIL]:org/repo"},        // an address and a password
		{"git@github.com: hi", "[EMAIL]: hi"},
		{strings.Repeat("a", 65) + "@example.com", strings.Repeat("a", 65) + "@example.com"},
		{"name @ example.com", "[EMAIL]"}, // spaced: a reader joins it (words.go)
	})
}

func TestSSN(t *testing.T) {
	runDetCases(t, "ssn", []detCase{
		{"123-45-6789", "[US_SSN]"},
		{"ssn 123 45 6789.", "ssn [US_SSN]."},
		{"123456789", "[US_SSN]"},
		{"000-12-3456", "000-12-3456"},
		{"666-12-3456", "666-12-3456"},
		{"900-12-3456", "900-12-3456"},
		{"123-00-4567", "123-00-4567"},
		{"123-45-0000", "123-45-0000"},
		{"078-05-1120", "078-05-1120"},
		{"123-45 6789", "[US_SSN]"}, // mixed separators, 3-2-4: loose.go
		{"1234-56-7890", "1234-56-7890"},
		{"1234567890", "1234567890"},
	})
}

func TestPhone(t *testing.T) {
	runDetCases(t, "phone", []detCase{
		{"+14155552671", "[PHONE]"},
		{"call +44 20 7946 0958 now", "call [PHONE] now"},
		{"+1 (415) 555-2671", "[PHONE]"},
		{"(415) 555-2671", "[PHONE]"},
		{"415-555-2671", "[PHONE]"},
		{"415.555.2671", "[PHONE]"},
		{"1-415-555-2671", "[PHONE]"},
		{"4155552671", "4155552671"},
		{"015-555-2671", "015-555-2671"},
		{"415-155-2671", "415-155-2671"},
		{"+0123456789", "+0123456789"},
		{"+1234567", "+1234567"},
		{"v1.415.555.2671", "v1.415.555.2671"},
		{"2024-01-15", "2024-01-15"},
	})
}

func TestIBAN(t *testing.T) {
	runDetCases(t, "iban", []detCase{
		{"GB82 WEST 1234 5698 7654 32", "[IBAN]"},
		{"GB82WEST12345698765432", "[IBAN]"},
		{"DE89 3704 0044 0532 0130 00", "[IBAN]"},
		{"to FR14 2004 1010 0505 0001 3M02 606.", "to [IBAN]."},
		{"NL91ABNA0417164300", "[IBAN]"},
		{"BE68539007547034", "[IBAN]"},
		{"CH9300762011623852957", "[IBAN]"},
		{"ES9121000418450200051332", "[IBAN]"},
		{"IT60X0542811101000000123456", "[IBAN]"},
		{"NO9386011117947", "[IBAN]"},
		{"PL61109010140000071219812874", "[IBAN]"},
		{"GB82 WEST 1234 5698 7654 33", "GB82 WEST 1234 5698 7654 33"}, // checksum
		{"DE89370400440532013001", "DE89370400440532013001"},
		{"GB82WEST1234569876543", "GB82WEST1234569876543"},     // short
		{"GB82WEST123456987654321", "GB82WEST123456987654321"}, // long
		{"ZZ82WEST12345698765432", "ZZ82WEST12345698765432"},   // no such country
		{"xGB82WEST12345698765432", "xGB82WEST12345698765432"},
	})
}

func TestIP(t *testing.T) {
	runDetCases(t, "ipv4", []detCase{
		{"from 192.168.1.10:8080", "from [IPV4]:8080"},
		{"10.0.0.1", "[IPV4]"},
		{"255.255.255.255.", "[IPV4]."},
		{"256.1.1.1", "256.1.1.1"},
		{"1.2.3", "1.2.3"},
		{"1.2.3.4.5", "1.2.3.4.5"},
		{"01.2.3.4", "01.2.3.4"},
		{"v1.2.3.4", "v1.2.3.4"},
	})
	runDetCases(t, "ipv6", []detCase{
		{"2001:db8::ff00:42:8329", "[IPV6]"},
		{"[fe80::1ff:fe23:4567:890a]:443", "[[IPV6]]:443"},
		{"2001:0db8:85a3:0000:0000:8a2e:0370:7334", "[IPV6]"},
		{"addr ::ffff:192.0.2.128.", "addr [IPV6]."},
		{"::1", "::1"},
		{"std::vector", "std::vector"},
		{"at 12:30:45", "at 12:30:45"},
		{"00:1a:2b:3c:4d:5e", "00:1a:2b:3c:4d:5e"},
		{"a::b::c", "a::b::c"},
	})
}

func TestSecrets(t *testing.T) {
	cases := []struct{ det, in, want string }{
		{"aws_access_key_id", "id=AKIAIOSFODNN7EXAMPLE;", "id=[AWS_ACCESS_KEY_ID];"},
		{"aws_access_key_id", "ASIAY34FZKBOKMUTVV7A", "[AWS_ACCESS_KEY_ID]"},
		{"aws_access_key_id", "AKIAIOSFODNN7EXAMPL", "AKIAIOSFODNN7EXAMPL"},
		{"aws_access_key_id", "xAKIAIOSFODNN7EXAMPLE", "x[AWS_ACCESS_KEY_ID]"}, // glued: TestGluedTokensGenerated
		{"aws_access_key_id", "xAKIAIOSFODNN7EXAMPLEx", "x[AWS_ACCESS_KEY_ID]x"},
		{"aws_access_key_id", "ASIAPACIFIC2024Q1REPORT", "ASIAPACIFIC2024Q1REPORT"},
		{"aws_access_key_id", "akiaiosfodnn7example", "[AWS_ACCESS_KEY_ID]"}, // lower() is lossless: TestSecretCaseTricks
		{"aws_secret_access_key", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_access_key = [AWS_SECRET_ACCESS_KEY]"},
		{"aws_secret_access_key", `"SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"`, `"SecretAccessKey": "[AWS_SECRET_ACCESS_KEY]"`},
		{"aws_secret_access_key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
		{"github_token", "ghp_16C7e42F292c6912E7710c838347Ae178B4a", "[GITHUB_TOKEN]"},
		{"github_token", "token gho_16C7e42F292c6912E7710c838347Ae178B4a x", "token [GITHUB_TOKEN] x"},
		{"github_token", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUV", "[GITHUB_TOKEN]"},
		{"github_token", "ghp_short", "ghp_short"},
		{"gitlab_token", "glpat-xxxxxxxxxxxxxxxxxxxx", "[GITLAB_TOKEN]"},
		{"gitlab_token", "glpat-abc", "glpat-abc"},
		{"slack_token", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "[SLACK_TOKEN]"},
		{"slack_token", "xoxp-1234-5678-90ab", "[SLACK_TOKEN]"},
		{"slack_token", "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX", "https://hooks.slack.com/services/[SLACK_TOKEN]"},
		{"slack_token", "xoxb-", "xoxb-"},
		{"stripe_key", "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "[STRIPE_KEY]"},
		{"stripe_key", "rk_test_4eC39HqLyjWDarjtT1zdp7dc", "[STRIPE_KEY]"},
		{"stripe_key", "pk_live_4eC39HqLyjWDarjtT1zdp7dc", "pk_live_4eC39HqLyjWDarjtT1zdp7dc"},
		{"google_api_key", "key=AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe&x", "key=[GOOGLE_API_KEY]&x"},
		{"google_api_key", "AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQ", "AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQ"},
		{"jwt", "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "Bearer [JWT]"},
		{"jwt", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "[JWT]"},
		{"jwt", "eyJhbGciOiJIUzI1NiJ9", "eyJhbGciOiJIUzI1NiJ9"},
		{"private_key", "k:\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\nok", "k:\n[PRIVATE_KEY]\nok"},
		{"private_key", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "[PRIVATE_KEY]"},
		{"private_key", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"},
		{"password_assignment", "DB_PASSWORD=hunter2 next", "DB_PASSWORD=[PASSWORD_ASSIGNMENT] next"},
		{"password_assignment", `{"client_secret": "s3cr3t"}`, `{"client_secret": "[PASSWORD_ASSIGNMENT]"}`},
		{"password_assignment", "token: abc123", "token: [PASSWORD_ASSIGNMENT]"},
		{"password_assignment", "Authorization: Bearer abc.def", "Authorization: Bearer [PASSWORD_ASSIGNMENT]"},
		{"password_assignment", "pass := 'x'; password := \"p@ss\"", "pass := '[PASSWORD_ASSIGNMENT]'; password := \"[PASSWORD_ASSIGNMENT]\""},
		{"password_assignment", "if password == other", "if password == other"},
		{"password_assignment", "reset your password now", "reset your password now"},
		{"password_assignment", "password=", "password="},
	}
	for _, c := range cases {
		if got := detect(t, c.det, c.in); got != c.want {
			t.Errorf("%s(%q) = %q, want %q", c.det, c.in, got, c.want)
		}
	}
}

func TestPEMFailsClosed(t *testing.T) {
	e, _ := New(Config{})
	p, _ := e.Policy([]string{"private_key"})
	long := "-----BEGIN RSA PRIVATE KEY-----\n" + strings.Repeat("QUFBQUFB\n", 1200) + "-----END RSA PRIVATE KEY-----\n"
	if _, _, err := p.Value("", long); err == nil {
		t.Fatal("PEM block over 8 KiB: want an error")
	}
}
