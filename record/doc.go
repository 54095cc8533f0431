// Package record keeps a complete, replayable and tamper-evident record of
// every gated session, outside the agent's process.
//
// A Recorder (New) implements gate.Recorder. For every event it stores the
// request's secrets as keyed HMACs (gate.Request.Secrets; the values of
// JSON body fields, tool arguments, headers and query or form parameters
// named like secrets, see DefaultSecretNames; credentials written into
// free text, below; AuditHash computes the stored form of a guess) — and,
// until the session ends, every secret of its session's earlier requests
// wherever it comes back (an echoed token in output data, an error, an
// approval step; raw, percent-encoded, JSON-escaped or in base64, also
// inside a longer base64 text such as an HTTP Basic credential, at any
// offset) — numbers the event within its session, chains
// it to its predecessor with SHA-256, signs a checkpoint over the chain
// head (Ed25519) every CheckpointEvery entries, after CheckpointInterval
// without one, and at session end, and hands batches to a Sink.
//
// Free text: every string of an event (command, SQL text, SSH command
// line and argv, URL, body strings, tool arguments, errors, approval
// reasons) and its byte fields (request payload, output data) are scanned
// for credentials no field name marks: a URL's user:password@, an
// assignment to a secret name (API_KEY=v, export TOKEN='v', PGPASSWORD=v,
// libpq password=v, --password v, password: v, "api_key":"v" inside a
// string, GraphQL password:"v", SQL password = 'v'), PASSWORD 'v' and
// IDENTIFIED BY 'v', Bearer and Basic credentials, -p v after mysql,
// mariadb or sshpass, private key PEM blocks, well-known token shapes
// (ghp_, github_pat_, xox?-, AKIA/ASIA, glpat-, sk_live_, sk-, AIza, npm_,
// hf_) and JWTs. Found values are stored as HMACs like named ones and
// remembered for the session. Only the value is a secret: WHERE password
// = $1 and other placeholders ($VAR, ?, %s, {{x}}, <x>, ***) stay as they
// are. Values of 6 bytes or more are taken (shorter ones would garble the
// event; a URL's whole user:password is taken, which hides a short
// password); a value ends at white space, a quote, a backslash or one of
// ;,&<>(){}[], so a secret that holds one is hidden up to it only. The
// search is linear in the text, runs of its own triggers included: a
// long option whose name (after its leading '-', '_', '.') is over 64
// bytes is taken for a secret name, and of values nested in one another
// (key=key=v) a rule takes the 8 longest.
//
// Stored form: an event's JSON as encoding/json writes it, where every
// string value holding a secret is written again with the secret replaced
// by its MAC (field names are never rewritten: a secret in one refuses the
// event); where two secrets overlap, the first's MAC is followed by the
// other's, so that no byte of either is left in clear. Byte fields
// (payload, output data) are searched as bytes, not in their base64.
// Records written before 2026-12-05 stored such events with their object
// keys sorted; both forms verify and read alike.
//
// Memory: a session's remembered secrets are searched in one pass per
// text whatever their number (the index is built when the set changes).
// Memory is bounded (4096 forms per session, 8 MiB per Recorder, index
// included): past a bound the event is refused with ErrSecretMemoryFull
// (and so its request), never stored with a secret forgotten. A session's
// secrets are freed when its session_end or refused event is recorded;
// a session whose end is never recorded (an embedder that stopped
// without ending it) keeps them until the Recorder is closed. They are
// not evicted after idleness: a session idle for hours may still echo a
// token, and an evicted secret would then be stored in clear; a refusal
// is the failure an operator can see and act on (end sessions, restart
// the recorder after lost sessions).
//
// Sink integrity: every entry the Recorder writes is also the next leaf of
// an RFC 6962 Merkle tree, its log, and a signed LogCheckpoint (a C2SP
// tlog-checkpoint note: origin, size, root, the previous checkpoint's
// hash) is written into the sink when the log starts, every
// LogCheckpointEvery entries, after LogCheckpointInterval and at Close.
// Deleting any entry, a whole session, a rotated file, PostgreSQL rows or
// a checkpoint breaks the tree or the chain of checkpoints, and
// VerifyRecord names the first bad index and the kind of damage. Entries
// after the newest checkpoint of a log that was not closed are reported as
// unverified, never as proven. Checkpoints can be published to Anchors
// (a file elsewhere, a PostgreSQL table, an AnchorServer over HTTP): then a
// record cut after the newest anchored checkpoint loses at most
// LogCheckpointEvery entries or LogCheckpointInterval (plus the anchor's
// latency) undetected, and nothing before it. ProveSession and
// VerifySessionProof take one session out with inclusion proofs, for an
// auditor who gets that session only.
//
// The sinks:
//
//   - Memory: in memory, for tests (it is also a gate.Recorder by itself);
//   - File: JSON Lines with a header line, rotation, fsync per write or group
//     commit, crash-safe (a torn last line is reported, never dropped);
//   - pgsink.Sink (package record/pgsink): COPY into a documented
//     PostgreSQL table (pgsink.Schema);
//   - HTTP + Collector: ship batches to another process over HTTP, with a
//     bearer token, idempotent by session and sequence;
//   - Tee: several sinks at once, naming those that failed.
//
// Decisions are always durable before Record returns; output events can be
// queued (Options.AsyncOutput) in a bounded queue that pushes back when full.
// When the sink fails, Record fails, and the gate refuses the request.
// With a quick sink (a File without group commit, whatever its
// durability; Memory) a caller writes its own event, and whatever queued
// with it, in one Sink.Write (with DurabilityFsync, one fsync); callers
// arriving meanwhile wait and are written together next, sharing the next
// fsync. Other sinks (group commit, a network) are written by the
// recorder's writer goroutine, which batches whatever queued during the
// last write.
//
// Usage:
//
//	priv, err := record.ReadPrivateKey("/etc/airlock/record.key")
//	hmacKey, err := record.ReadHMACKey("/etc/airlock/record.hmac")
//	sink, err := record.OpenFile("/var/log/airlock/record.jsonl", record.FileOptions{GroupCommit: 2 * time.Millisecond})
//	rec := record.New(sink, record.Options{SigningKey: priv, HMACKey: hmacKey, AsyncOutput: true})
//	defer rec.Close() // flushes the queue, then closes the sink
//	g := gate.New(gate.Config{Rules: rules, Recorder: rec})
//
//	// later, anywhere:
//	r, err := record.OpenFileReader("/var/log/airlock/record.jsonl")
//	entries, err := record.ReadSession(ctx, r, sessionID)
//	err = record.Verify(entries, pub) // nil, or a *VerifyError naming the first broken point
//	rep := record.VerifyRecord(ctx, r.Stored(ctx), record.VerifyOptions{Key: pub}) // the whole record
//
// Do not forget Close: queued output events are durable only once flushed,
// and a session's record is proven complete only by the final checkpoint
// written after its session_end event.
//
// Keys: GenerateKey makes the Ed25519 pair; MarshalPrivateKey and
// MarshalPublicKey write PEM (openssl's format), and the Read/Parse functions
// also accept a bare base64 key. Keep the private key and the HMAC key with
// the recording process only; give auditors the public key. Verification
// needs the public key only; checking a guessed secret needs the HMAC key.
//
// Reading a record live and playing it back: Follow tails a record file
// while a File sink writes it (across rotations) and yields its entries as
// they are appended, optionally one session's until it is over, and
// optionally only those that extend their session's verified chain;
// WriteAsciicast turns a terminal session's output, as the client saw it,
// into an asciicast v2 recording that asciinema plays.
//
// The command line reads records back: airlock replay (--follow), airlock
// verify (--anchor, --proof), airlock export (asciicast v2, --proof) and
// airlock audit-hash.
package record
