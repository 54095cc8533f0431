// Package mask finds sensitive data in results and replaces it before a
// client sees it.
//
// An Engine compiles the `masking:` section of a rule file: built-in
// detectors (credit_card, email, us_ssn, phone, iban, ipv4, ipv6, and the
// secrets aws_access_key_id, aws_secret_access_key, github_token,
// gitlab_token, slack_token, stripe_key, google_api_key, jwt, private_key,
// password_assignment), custom detectors (a regular expression with
// keywords, or a dictionary), field rules that mask by column, JSON path or
// header name, and a strategy per name (redact, partial, hash, same_length,
// null). Groups name several detectors at once: "pii", "secrets", "ip",
// "aws", "custom", "all".
//
// A gate decision carries mask names; Engine.Policy turns them into a
// Policy, which has three maskers over the same detectors: Value for one
// value, JSON and JSONValue for documents, and NewWriter for streams.
//
//	eng, err := mask.New(mask.Config{HashKey: key})
//	if err != nil { ... }
//	pol, err := eng.Policy([]string{"credit_card", "email", "secrets"})
//	if err != nil { ... }              // unknown name: deny
//	v, findings, err := pol.Value("users.note", note)
//	w := pol.NewWriter(conn)           // mask a stream
//	_, err = io.Copy(w, upstream)
//	if err == nil { err = w.Close() }  // flushes the held tail
//	record(findings, w.Findings())     // what was masked, never the value
//
// The one thing not to forget: on any error, send nothing of that value,
// document or stream from the point of failure on. Masking fails closed —
// a limit exceeded, invalid JSON or a write error returns an error instead
// of unmasked data, and a caller that falls back to the original bytes
// defeats it. For a stream, nothing is complete until Close returns nil:
// Write holds back the last few KiB, which could still begin a match.
//
// Known trade-offs, chosen to fail towards masking: nine bare digits that
// satisfy the SSA rules count as a us_ssn; a name that is one of
// SecretNames ("*token*", "*secret*", "*password*", "*key", "pin" and the
// like: a JSON key, a column, a header) has its whole value masked by
// password_assignment; in free text, a name holding a form of "password"
// as one of its words (DB_PASS, PGPASS, userPass, rootpw: secretwords.go;
// passed, bypass, pass_count, "--- PASS:" are none) or the word "key"
// before a long random value (keynames.go) names a secret after '=', ':',
// '=>', as a command-line option's argument ("--pass v") or as an
// element's text; mysql's -pSECRET, sshpass -p, curl -u user:SECRET and a
// URL's user:SECRET@ are masked (cmdsecrets.go); ten bare digits are not
// a phone. SecretNames and
// SecretHeaders are the module's one list of secret names: the recorder
// and the HTTP gateway resolve names through it too. Detectors judge a value by its raw neighbours, so a value glued to
// letters may stay (x4111111111111111y is masked); a card glued to
// digits ('9' || pan || '9', an order number or a timestamp before it)
// is masked with its run of digits when the run has at most 38 digits
// and a window of 13 to 19 of them is a card (card.go: about one run of
// random digits in four of nineteen or twenty digits is masked with it);
// other values glued to digits may stay; a token with a known prefix (AKIA, ghp_, sk_live_, xoxb-,
// AIza, eyJ...) glued to letters or digits is masked when its body looks
// random (glue.go: 4294967295AKIA... from cat a b).
//
// Disguised values. An agent with SQL, a shell or HTTP can rewrite a value
// before it reaches the masker; the numeric detectors and the e-mail
// detector see through the rewrites that keep the value readable
// (loose.go, unicode.go):
//
//   - look-alike digits: fullwidth, every Unicode decimal digit (Arabic-
//     Indic, Devanagari, mathematical bold...), superscripts, subscripts,
//     circled digits; fullwidth letters and at signs in e-mail addresses and
//     IBANs;
//   - invisible characters anywhere in a number (zero-width space, joiners,
//     word joiner, soft hyphen, BOM, bidirectional controls);
//   - separators: up to three between two digit groups among space, tab,
//     CR, LF, '-', '.', '_', '/', '+', ',', an apostrophe, no-break, thin
//     and other Unicode spaces, Unicode dashes, commas, apostrophes and
//     thousands separators (U+066C, U+2019...) and the percent-encoded
//     forms %20, %2D and the like (a URL-encoded "4111 1111 ..."). Beyond
//     what the plain detectors take (single spaces or dashes), a card's
//     groups must look mechanically cut — equal groups with a shorter last
//     one, such as 4-4-4-4 or one digit per group, Amex 4-6-5, or
//     thousands (4,111,111,111,111,111) — and an SSN's must be 9, 3-2-4
//     or one digit each, unless a non-ASCII character (a look-alike digit,
//     a Unicode space or dash) or an invisible one shows the disguise; with
//     ASCII commas or apostrophes only thousands and groups of three or
//     more digits count (not CSV rows or arrays such as [4,1,1,1,...]).
//     A phone's three groups may be separated by commas, apostrophes, '_',
//     '/' or line breaks too (415,555,2671; so a CSV row of exactly three
//     such fields, 200,300,4000, is masked, a longer list is not). A
//     number spans at most 256 bytes. Luhn still gates a card;
//   - a card reversed (reverse(card) in SQL): a whole number whose reverse
//     is a valid card;
//   - an AWS access key ID in lower case (lossless, so undoable);
//   - escaped forms (escape.go): the detectors also read the text with
//     percent-encoding (ann%40example.com, %u0040), HTML and XML character
//     references (&#64;, &#x40;, &commat;, &nbsp;), backslash escapes as
//     C, JSON, JavaScript, Python and the shell read them (\u0040, \x40,
//     \u{40}, \x{40}, \U00000040, octal \100 or \064, \n, \@, a line
//     continuation), as CSS and PostgreSQL's U&'\0040' read them (\40 ,
//     \000040, \+000040) and quoted-printable (=40, soft line breaks
//     =\r\n) decoded, each notation in a view of its own, up to three
//     layers deep (%2540, &amp;#64;, \u0026#64;, &#37;40, \\064 in JSON),
//     and a match masks the encoded bytes it came from. Escapes that clean
//     text is full of ("status=200", "\n" in JSON) make a view only among
//     other escapes, in a word of twenty characters or more, or in a
//     number of seven digits or more. An escape padded beyond eight
//     digits, or a match whose encoded form is longer than its detector's
//     bound, fails closed. Python's and Perl's named escapes
//     (\N{DIGIT FOUR}, any case, and \N{U+34}) are read too (escname.go),
//     and a weak escape also counts in a word with an at sign
//     (ann.lee@e=78ample.com);
//   - UTF-16 and UTF-32 (wide.go): a text that holds a NUL or is not
//     valid UTF-8 is also read as UTF-16, both byte orders, both
//     alignments, and, when it holds a character beyond the BMP, as
//     UTF-32 where that reads as text; each of these views is read in
//     turn for markup, escapes and the rewrites below;
//   - invisible characters (invisible.go): a text holding a zero-width
//     space, joiner, word joiner, soft hyphen, variation selector or BOM
//     is also read without them (runs of up to four; a longer run after a
//     letter or digit fails closed), for the detectors of tokens and
//     addresses as the numeric scanners already skip them, and tag
//     characters (U+E0020-U+E007E) are read as the ASCII they mirror;
//   - strings split and joined (joins.go): "4111" + "1111" + ..., '41' ||
//     '11' in SQL (doubled quotes inside a SQL string too), adjacent
//     literals "AKIA..." "...", Perl's ".", and the members of one list
//     or object ["4111","1111",...], {"a":"4111","b":"1111"}, or of
//     several, across their brackets, keys and null/true/false or empty
//     containers ([{"n":"4111"},{"n":"1111"}], ["4111",null,"1111"]) (a
//     comma joins digits, or pieces with a digit, an at sign or letters
//     of both cases: not a list of words): the text is also read with the
//     joins removed (and, between digits, read as '-'); Policy.JSON reads
//     a document's strings and numbers joined the same way (jsonleaves.go);
//   - encoded runs (encruns.go): a run of twelve or more characters of
//     the base64 alphabets (standard or URL-safe), base32 or hex, with a
//     character other than a lower-case letter after its first, is
//     decoded, and read when seven bytes in eight of it are text: the
//     base64 of a card number is masked where it stands, a hash, a UUID
//     or random bytes in base64 are left alone; base32 in either case;
//   - code lists (codelists.go): bytes in hex with separators (34 31 31,
//     34:31, 0x34,0x31), hex dumps (xxd, hexdump -C, od: offsets skipped,
//     ASCII columns read joined; 16-bit little-endian words of od -x and
//     hexdump), character dumps (od -c, od -a, hexdump -c: chardump.go),
//     word dumps (dumpwords.go: 32- and 64-bit hex words of od -tx4,
//     -tx8, xxd -e, xxd -g 8, octal words of od -o, -to4, hexdump -o,
//     bits of xxd -b, decimal words of od -d, -D, hexdump -d, read in
//     both byte orders; xxd's short lines with their ASCII columns
//     joined), decimal code points (52,49,
//     chr(52)+chr(49), String.fromCharCode(52,49), CHAR(52)||CHAR(49),
//     unichr, NCHAR, String.fromCodePoint and the calls of codecalls.go)
//     and spelled digits (four, one, one) are read decoded when nine or
//     more codes (five groups of four hex digits) decode to text;
//   - encodings of encodings: the encoded runs and code lists of a decoded
//     run or list (and of a joined or escape-decoded view) are decoded in
//     turn, up to five deep: base64 of hex, hex of base64, base64 of
//     base64, a hex list in base64; a sixth layer of encoded text fails
//     closed (ErrLimit, nested.go);
//   - spelled-out e-mail addresses (words.go): ann [at] example [dot] com,
//     ann(at)example.com, ann [@] example [.] com, ann @ example . com,
//     ann at example [dot] com, and bare words alone (ann at example dot
//     com) in a text that holds " dot " in any case; dots
//     written as U+2024, U+FE52, U+3002, fullwidth;
//   - markup between the characters (ann@<b>example</b>.com,
//     ann@<!-- -->example.com): the detectors also read the text without
//     its tags and comments, as a browser renders it or a tool turns HTML
//     into text, under each reading tools disagree on (markup.go): a
//     naive stripper's, the HTML tokenizer's (<!-->, --!>, '>' inside a
//     quoted attribute), foreign content's and XML's (CDATA is text);
//     a match there spanning more than its detector's bound of markup
//     has its pieces of text masked one by one (the stream masker only
//     those it still holds, about Policy.MaxHeld/2 bytes), and one joining
//     elements whose text other matches mask whole is dropped for them
//     (across.go);
//   - the caller's own secrets (Policy.WithSecrets): literal values, also
//     in base64 at any alignment, and in pieces of any kind (one
//     character, lower-case words, digits written as JSON numbers) across
//     strings, members, containers and lines: the text's words are read
//     joined for the literals alone (secretjoins.go);
//   - a private key without its armour: the body lines an END line
//     closes, blocks of two or more lines of a key's width (keybody.go),
//     and one such line alone that reads as random base64 (keyline.go);
//   - internationalised e-mail addresses (RFC 6531): letters of any
//     script in the local part and the domain, a domain label in one script.
//
// Out of scope, by design: encodings chosen on purpose beyond those above
// (an encoding of an encoding, base64 of binary or of UTF-16, a cipher,
// arithmetic, a value split across rows or requests) — an agent that can
// compute can always pick one the masker does not know; limit such
// functions by rule instead. Likewise a single quoted-printable escape in
// a word shorter than twenty characters with no at sign ("q=41" is also
// a URL parameter), a quoted-printable escape of a control character, a
// list of words split by commas ("ann.lee@e", "xample.com"), bare words
// in unusual case (" dOt "), and ten bare digits (no phone, whether
// joined by invisible characters or not).
// Not masked, by design, as they hold none of it: a login at a host (git
// and scp remotes, a URL's user: hostspec.go), and a secret's parameter
// in SQL or code ($1, :name in a query, psql's :'name': placeholders.go).
// A dump's digit groups are read as numbers, on purpose: a card kept in
// packed BCD shows in xxd as 4111 1111 1111 1111.
// Tokens with mixed-case bodies (GitHub, Stripe, Slack, GitLab, Google,
// JWT, PEM) are detected in their own case only: upper() or lower()
// destroys them. Groups of one or two digits separated by ASCII commas
// (CSV rows, arrays such as [4,1,1,1,...]) are not a card. One line of a
// key's body alone (64 or 70 characters) is masked when it reads as
// random base64 (keyline.go), and so is any such line: a SHA-384 digest
// in base64, a line of a certificate.
//
// Detectors or field rules. Detectors catch values by their look: a card
// number, an e-mail address, a token, wherever it appears (a column, a JSON
// document, an error message, a shell's output), but only while it still
// looks like one: translate(card, '0123456789', 'abcdefghij'), hex, halves
// cut with substr, or a value with no shape at all (a name, a diagnosis)
// pass them. Field rules catch columns by their lineage: "customers.name"
// masks every value that comes from that column, whatever it looks like and
// whatever the query did to it, as far as the protocol can follow the data
// (the PostgreSQL gateway follows it through sub-queries, CTEs, views and
// SQL functions, and masks what it cannot follow when any column is
// covered). Use detectors as the net under everything and for data that
// leaks into free text; use field rules for every column known to be
// sensitive, above all one whose values no detector recognises. Field
// rules are the defence that holds against transforms; their cost is
// over-masking of computed columns whose lineage cannot be proven.
//
// Detectors are hand-written scanners over bytes, prefiltered by cheap byte
// checks (digit runs, '@', ':') or by one Aho-Corasick pass over the
// keywords of every secret, and validated by checksums (Luhn, mod 97) or
// structure. Every detector looks at a bounded window around a match, which
// is what lets the stream masker give the same output as Value whatever the
// chunking.
package mask
