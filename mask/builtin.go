package mask

// builtin describes one built-in detector.
type builtin struct {
	name    string
	aliases []string
	groups  []string
	d       detector
}

// builtins lists the built-in detectors in priority order: when two
// candidates have the same extent, the one listed first names the finding.
// Secrets come first so that a token is reported as a token.
var builtins = []builtin{
	{"private_key", []string{"pem", "private_key_block"}, []string{"secrets"}, tokenDetector{"private_key", maxPEM + 8}},
	{"aws_access_key_id", []string{"aws_access_key"}, []string{"secrets", "aws"}, tokenDetector{"aws_access_key_id", 24}},
	{"aws_secret_access_key", []string{"aws_secret_key"}, []string{"secrets", "aws"}, tokenDetector{"aws_secret_access_key", maxAWSSecretRun + 64}},
	{"github_token", []string{"github"}, []string{"secrets"}, tokenDetector{"github_token", 270}},
	{"gitlab_token", []string{"gitlab"}, []string{"secrets"}, tokenDetector{"gitlab_token", 270}},
	{"slack_token", []string{"slack"}, []string{"secrets"}, tokenDetector{"slack_token", 270}},
	{"stripe_key", []string{"stripe"}, []string{"secrets"}, tokenDetector{"stripe_key", 270}},
	{"google_api_key", []string{"google"}, []string{"secrets"}, tokenDetector{"google_api_key", 40}},
	{"jwt", nil, []string{"secrets"}, tokenDetector{"jwt", maxJWT + 8}},
	{"password_assignment", []string{"password", "secret_assignment", "assignment"}, []string{"secrets"}, tokenDetector{"password_assignment", maxAssignment + maxCmdLine + maxNameBack + 96}},
	{"credit_card", []string{"card", "cc", "pan"}, []string{"pii", "pci"}, cardDetector{}},
	{"iban", nil, []string{"pii"}, ibanDetector{}},
	{"us_ssn", []string{"ssn"}, []string{"pii"}, ssnDetector{}},
	{"email", []string{"e_mail"}, []string{"pii"}, emailDetector{}},
	{"phone", []string{"phone_number"}, []string{"pii"}, phoneDetector{}},
	{"ipv4", nil, []string{"pii", "ip"}, ipv4Detector{}},
	{"ipv6", nil, []string{"pii", "ip"}, ipv6Detector{}},
}

// builtinAC is the keyword prefilter shared by the built-in secret
// detectors; secrets.go fills it.
var builtinAC *acMatcher
