package mask

// Config is the `masking:` section of a rule file. The zero value is valid:
// every built-in detector, no custom detectors or field rules, the redact
// strategy everywhere, default limits.
type Config struct {
	// Detectors are custom detectors, named like the built-in ones.
	Detectors []CustomDetector `yaml:"detectors"`
	// Fields mask values by where they come from, regardless of content.
	Fields []FieldRule `yaml:"fields"`
	// Strategies maps a detector, group ("pii", "secrets") or field-rule
	// name to a strategy name: redact, partial, hash, same_length, null.
	// A name's own entry wins over its group's.
	Strategies map[string]string `yaml:"strategies"`
	// HashKey is the HMAC key for the hash strategy, at least 16 bytes.
	// It is set by the integrator, never read from a rule file; New fails
	// when a hash strategy is configured without it.
	HashKey []byte `yaml:"-"`
	// MaxValueBytes bounds one value given to Policy.Value and one document
	// given to Policy.JSON. 0 means 16 MiB.
	MaxValueBytes int `yaml:"max_value_bytes"`
	// MaxMatchBytes bounds one match of a custom regular expression.
	// 0 means 1 KiB; at most 8 KiB.
	MaxMatchBytes int `yaml:"max_match_bytes"`
}

// CustomDetector is a detector defined in a rule file: either a regular
// expression (Go RE2 syntax) with optional keywords, or a dictionary of
// literal values.
type CustomDetector struct {
	// Name is how rules refer to it: lower case letters, digits and '_'.
	Name string `yaml:"name"`
	// Pattern is a regular expression (Go RE2 syntax). A match must not be
	// empty and is at most MaxMatchBytes long; one that reaches the bound
	// fails closed (ErrLimit). It is tried at each position where it could
	// start, seeing the byte before ("\b", "(?m)^" work).
	Pattern string `yaml:"pattern"`
	// Keywords, if any, gate Pattern: a match counts only when one of the
	// keywords (ASCII case-insensitive) occurs inside it or within the 64
	// bytes before it. They are also the cheap prefilter.
	Keywords []string `yaml:"keywords"`
	// Values is a dictionary of literal values, matched ASCII
	// case-insensitively as whole words. Exclusive with Pattern.
	Values []string `yaml:"values"`
	// Strategy overrides the strategy for this detector.
	Strategy string `yaml:"strategy"`
}

// FieldRule masks values by name regardless of their content.
type FieldRule struct {
	// Name is how rules refer to it; it shares the namespace of detectors.
	Name string `yaml:"name"`
	// Columns are globs (path.Match syntax, case-insensitive) over
	// "table.column"; a glob without a '.' matches the column name alone.
	Columns []string `yaml:"columns"`
	// JSONPaths select values in JSON documents: $, .key, ['key'], [n],
	// [*], .* and ..key (any depth), e.g. $.customers[*].card.
	JSONPaths []string `yaml:"json_paths"`
	// Headers are HTTP header names, case-insensitive.
	Headers []string `yaml:"headers"`
	// Strategy overrides the strategy for this rule.
	Strategy string `yaml:"strategy"`
}

const (
	defaultMaxValueBytes = 16 << 20
	defaultMaxMatchBytes = 1 << 10
	maxMaxMatchBytes     = 8 << 10
)
